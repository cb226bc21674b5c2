namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// The <see cref="MicroKernel"/> tiles with B read in place instead of from packed panels: for step k the NR
/// B values are two runs of V = NR/2 contiguous floats, at <c>b0 + offsets[k]</c> and <c>b1 + offsets[k]</c>.
/// A direct convolution points b0 and b1 at two runs of output positions in the (padded) input image, and
/// offsets[k] at the input element that reduction step k (channel, ky, kx) reads, so no im2col copy is made.
/// C row r is written at c + r·ldc (the b0 run in columns [0, V), the b1 run in [V, NR)). Each output element is
/// one FMA chain over k in order, the same chain as <see cref="MicroKernel.Run"/> on the packed im2col.
/// </summary>
internal static unsafe class GatherMicroKernel
{
    /// <summary>C[MR×NR] (+)= Σ_k A[k]·B[k] over <paramref name="steps"/> steps, A packed with lda = MR.</summary>
    public static void Run(MicroKernel kernel, int steps, float* a, int* offsets, float* b0, float* b1, float* c, nint ldc, bool accumulate)
    {
        var b = new GatheredB(b0, b1, offsets);
        if (kernel == MicroKernel.Avx512) MicroKernel.Avx512Body(steps, a, kernel.MR, b, c, ldc, accumulate);
        else if (kernel == MicroKernel.Avx2) MicroKernel.Avx2Body(steps, a, kernel.MR, b, c, ldc, accumulate);
        else MicroKernel.PortableBody(steps, a, kernel.MR, b, c, ldc, accumulate);
    }
}
