using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Analysis;

/// <summary>Simplified portraits in the layout of the micro world (64×64: face at the centre, eyes 14 px apart at y = 32, hair cap above, shirt below), with known colours.</summary>
static class TestPortraits
{
    public static readonly (byte R, byte G, byte B) Skin = (220, 180, 150), Background = (170, 190, 230);

    public static Image Render((byte R, byte G, byte B)? iris, int dy = 0, int dx = 0, (byte R, byte G, byte B)? hair = null, (byte R, byte G, byte B)? shirt = null,
        int noise = 0, int seed = 0)
    {
        var px = new byte[64 * 64 * 3];
        var random = new Random(seed);
        void Put(int y, int x, (byte R, byte G, byte B) c)
        {
            if ((uint)y >= 64 || (uint)x >= 64) return;
            int i = (y * 64 + x) * 3;
            (px[i], px[i + 1], px[i + 2]) = (c.R, c.G, c.B);
        }
        int cy = 32 + dy, cx = 32 + dx;
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
            {
                int d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                var c = Background;
                if (shirt is { } s && y >= cy + 21 && Math.Abs(x - cx) <= 18) c = s;
                if (d2 < 18 * 18) c = Skin;
                if (hair is { } h && d2 < 20 * 20 && y < cy - 6) c = h;
                Put(y, x, c);
            }
        if (iris is { } colour)
            foreach (int ex in new[] { cx - 7, cx + 7 })
                for (int y = -5; y <= 5; y++)
                    for (int x = -5; x <= 5; x++)
                    {
                        int d2 = y * y + x * x;
                        if (d2 <= 1) Put(cy + y, ex + x, (10, 10, 10));
                        else if (d2 <= 7) Put(cy + y, ex + x, colour);
                        else if (d2 <= 20) Put(cy + y, ex + x, (245, 245, 245));
                    }
        if (noise > 0)
            for (int i = 0; i < px.Length; i++) px[i] = (byte)Math.Clamp(px[i] + random.Next(-noise, noise + 1), 0, 255);
        return Image.FromBytes(64, 64, 3, px);
    }
}
