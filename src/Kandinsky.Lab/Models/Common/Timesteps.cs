using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Models.Common;

/// <summary>
/// diffusers <c>Timesteps</c> / <c>get_timestep_embedding</c>: sinusoidal features of width <see cref="NumChannels"/>.
/// freq_k = exp(-ln(10000) · k / (half - downscale_freq_shift)), k = 0..half-1; features [sin(t·f) | cos(t·f)],
/// swapped to [cos | sin] when <see cref="FlipSinToCos"/>; an odd width is zero-padded on the right.
/// Every intermediate is rounded to float32 where the reference (float32 tensors) rounds it.
/// </summary>
public sealed class Timesteps(int numChannels, bool flipSinToCos, float downscaleFreqShift)
{
    const double MaxPeriod = 10000;

    public int NumChannels { get; } = numChannels;
    public bool FlipSinToCos { get; } = flipSinToCos;
    public float DownscaleFreqShift { get; } = downscaleFreqShift;

    /// <summary>timesteps [B] (float32 values of the integer timesteps) → [B, NumChannels].</summary>
    public Tensor Forward(Tensor timesteps)
    {
        if (timesteps.Rank != 1)
            throw new ArgumentException($"Timesteps: expected a 1-d tensor of timesteps [B], got {timesteps.ShapeString}.");
        return Forward(timesteps.ToArray());
    }

    /// <summary>One row of features per timestep → [B, NumChannels].</summary>
    public Tensor Forward(ReadOnlySpan<float> timesteps)
    {
        int half = NumChannels / 2;
        // exponent = -ln(max_period) * arange(half) (float32), / (half - shift) (float32), exp (float32)
        var freqs = new float[half];
        float negLog = (float)-Math.Log(MaxPeriod);
        float denom = half - DownscaleFreqShift;
        for (int k = 0; k < half; k++)
        {
            float exponent = negLog * k / denom;
            freqs[k] = (float)Math.Exp(exponent);
        }
        var emb = Tensor.Zeros(timesteps.Length, NumChannels);
        var dst = emb.AsSpan();
        int sinAt = FlipSinToCos ? half : 0, cosAt = FlipSinToCos ? 0 : half;
        for (int b = 0; b < timesteps.Length; b++)
        {
            var row = dst.Slice(b * NumChannels, NumChannels);
            for (int k = 0; k < half; k++)
            {
                float arg = timesteps[b] * freqs[k];
                row[sinAt + k] = (float)Math.Sin(arg);
                row[cosAt + k] = (float)Math.Cos(arg);
            }
        }
        return emb;
    }
}
