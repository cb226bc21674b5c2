using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Schedulers;

/// <summary>
/// The float32 scalar and element-wise arithmetic the schedulers share. The reference works on 0-d float32
/// tensors, so every scalar operation is rounded to float32 (sqrt, log and exp correctly rounded).
/// </summary>
internal static class SchedulerMath
{
    public static float Sqrt(float x) => (float)Math.Sqrt(x);
    public static float Log(float x) => (float)Math.Log(x);
    public static float Exp(float x) => (float)Math.Exp(x);

    public static void RequireSameShape(string op, Tensor a, string aName, Tensor b, string bName)
    {
        if (!a.Shape.SequenceEqual(b.Shape))
            throw new ArgumentException($"{op}: {aName} {a.ShapeString} and {bName} {b.ShapeString} must have the same shape.");
    }

    /// <summary>A contiguous float32 copy of <paramref name="x"/> as a flat array.</summary>
    public static float[] Values(Tensor x) => x.ToArray();

    public static Tensor New(float[] values, Tensor like) => Tensor.FromArray(values, like.ShapeArray());

    /// <summary>c0 · a + c1 · b, each product rounded to float32 before the sum (as two tensor ops and an add).</summary>
    public static float[] Combine(float c0, float[] a, float c1, float[] b)
    {
        var y = new float[a.Length];
        for (int i = 0; i < y.Length; i++)
        {
            float p = c0 * a[i], q = c1 * b[i];
            y[i] = p + q;
        }
        return y;
    }

    /// <summary>x0 = (x - sqrt(1 - a_t) · eps) / sqrt(a_t) (the epsilon parameterisation).</summary>
    public static float[] OriginalFromEpsilon(float[] sample, float[] eps, float alphaProdT)
    {
        float sqrtBeta = Sqrt(1f - alphaProdT), sqrtAlpha = Sqrt(alphaProdT);
        var x0 = new float[sample.Length];
        for (int i = 0; i < x0.Length; i++)
        {
            float scaled = sqrtBeta * eps[i];
            x0[i] = (sample[i] - scaled) / sqrtAlpha;
        }
        return x0;
    }

    public static void Clamp(float[] x, float min, float max)
    {
        for (int i = 0; i < x.Length; i++) x[i] = Math.Clamp(x[i], min, max);
    }

    /// <summary>
    /// torch.quantile(values, q) with linear interpolation: rank = q·(n - 1) in float32, lerp between the order
    /// statistics around it (torch.lerp's two-sided formula).
    /// </summary>
    public static float Quantile(float[] values, float q)
    {
        var sorted = (float[])values.Clone();
        Array.Sort(sorted);
        float rank = q * (sorted.Length - 1);
        int below = (int)rank, above = (int)MathF.Ceiling(rank);
        float weight = rank - below;
        float lo = sorted[below], hi = sorted[above];
        return weight < 0.5f ? lo + weight * (hi - lo) : hi - (hi - lo) * (1f - weight);
    }

    /// <summary>
    /// Dynamic thresholding (Imagen) of x0 per batch item: s = clamp(quantile(|x0|, dynamic_thresholding_ratio), 1,
    /// sample_max_value); x0 = clamp(x0, -s, s) / s.
    /// </summary>
    public static void ThresholdSample(float[] x0, int batch, SchedulerConfig config)
    {
        int per = x0.Length / batch;
        float ratio = (float)config.DynamicThresholdingRatio, maxValue = (float)config.SampleMaxValue;
        var abs = new float[per];
        for (int b = 0; b < batch; b++)
        {
            var item = x0.AsSpan(b * per, per);
            for (int i = 0; i < per; i++) abs[i] = MathF.Abs(item[i]);
            float s = Math.Clamp(Quantile(abs, ratio), 1f, maxValue);
            for (int i = 0; i < per; i++) item[i] = Math.Clamp(item[i], -s, s) / s;
        }
    }

    /// <summary>sqrt(abar[t]) · x0 + sqrt(1 - abar[t]) · noise with one timestep per batch item (dimension 0).</summary>
    public static Tensor AddNoise(float[] alphasCumprod, Tensor originalSamples, Tensor noise, ReadOnlySpan<int> timesteps) =>
        AddNoise(originalSamples, noise, timesteps, t =>
        {
            if ((uint)t >= (uint)alphasCumprod.Length)
                throw new ArgumentOutOfRangeException(nameof(timesteps), $"AddNoise: timestep {t} is outside [0, {alphasCumprod.Length - 1}].");
            float abar = alphasCumprod[t];
            return (Sqrt(abar), Sqrt(1f - abar));
        });

    /// <summary>a(t) · x0 + s(t) · noise with one timestep per batch item (dimension 0); <paramref name="coefficients"/> gives (a, s).</summary>
    public static Tensor AddNoise(Tensor originalSamples, Tensor noise, ReadOnlySpan<int> timesteps, Func<int, (float Signal, float Noise)> coefficients)
    {
        RequireSameShape("AddNoise", originalSamples, "original samples", noise, "noise");
        int batch = originalSamples.Rank == 0 ? 1 : originalSamples.Size(0);
        if (timesteps.Length != batch)
            throw new ArgumentException($"AddNoise: {timesteps.Length} timesteps for a batch of {batch} (samples {originalSamples.ShapeString}); give one timestep per batch item.");
        var x = Values(originalSamples);
        var n = Values(noise);
        var y = new float[x.Length];
        int per = x.Length / Math.Max(batch, 1);
        for (int b = 0; b < batch; b++)
        {
            var (sa, sb) = coefficients(timesteps[b]);
            for (int i = b * per; i < (b + 1) * per; i++)
            {
                float p = sa * x[i], q = sb * n[i];
                y[i] = p + q;
            }
        }
        return New(y, originalSamples);
    }

    /// <summary>"leading" spacing: arange(N) · (num_train // N) reversed, + offset.</summary>
    public static int[] LeadingTimesteps(int numTrainTimesteps, int numInferenceSteps, int stepsOffset)
    {
        if (numInferenceSteps < 1 || numInferenceSteps > numTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), $"num_inference_steps is {numInferenceSteps}, expected 1..{numTrainTimesteps} (num_train_timesteps).");
        int ratio = numTrainTimesteps / numInferenceSteps;
        var ts = new int[numInferenceSteps];
        for (int i = 0; i < numInferenceSteps; i++) ts[i] = (numInferenceSteps - 1 - i) * ratio + stepsOffset;
        return ts;
    }

    /// <summary>DDIM and DDPM here implement diffusers' "leading" timestep spacing only.</summary>
    public static void RequireLeadingSpacing(SchedulerConfig config, string scheduler)
    {
        if (config.TimestepSpacing is not (null or "leading"))
            throw new InvalidDataException($"{scheduler}: timestep_spacing \"{config.TimestepSpacing}\" is not supported, expected \"leading\".");
    }

    public static void RequireTimestep(int t, int numTrainTimesteps, string scheduler)
    {
        if ((uint)t >= (uint)numTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(t), $"{scheduler}.Step: timestep {t} is outside [0, {numTrainTimesteps - 1}].");
    }
}
