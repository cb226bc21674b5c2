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
        int head = Math.Min(stride, row.Length); // the first pixel has no left neighbour: left = up-left = 0
        switch (type)
        {
            case 0:
                row.CopyTo(output);
                break;
            case 1:
                row[..head].CopyTo(output);
                for (int i = stride; i < row.Length; i++) output[i] = (byte)(row[i] - row[i - stride]);
                break;
            case 2:
                for (int i = 0; i < row.Length; i++) output[i] = (byte)(row[i] - prior[i]);
                break;
            case 3:
                for (int i = 0; i < head; i++) output[i] = (byte)(row[i] - (prior[i] >> 1));
                for (int i = stride; i < row.Length; i++) output[i] = (byte)(row[i] - ((row[i - stride] + prior[i]) >> 1));
                break;
            default:
                for (int i = 0; i < head; i++) output[i] = (byte)(row[i] - prior[i]); // Paeth(0, up, 0) = up
                for (int i = stride; i < row.Length; i++) output[i] = (byte)(row[i] - Paeth(row[i - stride], prior[i], prior[i - stride]));
                break;
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
