namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>
/// The five PNG filter types (None, Sub, Up, Average, Paeth) on one scanline. <c>stride</c> is the bytes
/// per complete pixel (at least 1); <c>prior</c> is the previous unfiltered scanline of the same pass
/// (all zeros for the first).
/// </summary>
internal static class PngFilters
{
    public const int Count = 5;

    /// <summary>Undoes filter <paramref name="type"/> in place; false for a type outside 0 … 4.</summary>
    public static bool TryUnfilter(int type, Span<byte> row, ReadOnlySpan<byte> prior, int stride)
    {
        switch (type)
        {
            case 0: return true;
            case 1:
                for (int i = stride; i < row.Length; i++) row[i] += row[i - stride];
                return true;
            case 2:
                for (int i = 0; i < row.Length; i++) row[i] += prior[i];
                return true;
            case 3:
                for (int i = 0; i < row.Length; i++)
                    row[i] += (byte)(((i >= stride ? row[i - stride] : 0) + prior[i]) >> 1);
                return true;
            case 4:
                for (int i = 0; i < row.Length; i++)
                    row[i] += i >= stride ? Paeth(row[i - stride], prior[i], prior[i - stride]) : prior[i];
                return true;
            default: return false;
        }
    }

    /// <summary>Writes <paramref name="row"/> filtered with <paramref name="type"/> into <paramref name="output"/> (same length).</summary>
    public static void Filter(int type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int stride, Span<byte> output)
    {
        for (int i = 0; i < row.Length; i++)
        {
            byte left = i >= stride ? row[i - stride] : (byte)0;
            byte upLeft = i >= stride ? prior[i - stride] : (byte)0;
            output[i] = (byte)(row[i] - type switch
            {
                0 => 0,
                1 => left,
                2 => prior[i],
                3 => (left + prior[i]) >> 1,
                _ => Paeth(left, prior[i], upLeft),
            });
        }
    }

    /// <summary>The predictor of filter type 4: whichever of left, up, up-left is closest to left + up − up-left (ties in that order).</summary>
    public static byte Paeth(byte left, byte up, byte upLeft)
    {
        int p = left + up - upLeft;
        int pa = Math.Abs(p - left), pb = Math.Abs(p - up), pc = Math.Abs(p - upLeft);
        return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
    }
}
