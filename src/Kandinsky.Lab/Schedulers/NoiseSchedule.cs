namespace Kandinsky.Lab.Schedulers;

/// <summary>
/// The float32 noise tables exactly as diffusers builds them: betas in float32, alphas = 1 - betas in float32,
/// alphas_cumprod[i] = float32(running product accumulated in float64) (torch.cumprod on CPU). Keeping these
/// tables in float32 matters: e.g. 1 - alphas_cumprod[0] is a cancellation the reference does in float32.
/// </summary>
public sealed class NoiseSchedule
{
    NoiseSchedule(float[] betas)
    {
        Betas = betas;
        Alphas = new float[betas.Length];
        AlphasCumprod = new float[betas.Length];
        double running = 1.0;
        for (int i = 0; i < betas.Length; i++)
        {
            Alphas[i] = 1f - betas[i];
            running *= Alphas[i];
            AlphasCumprod[i] = (float)running;
        }
    }

    public float[] Betas { get; }
    public float[] Alphas { get; }
    public float[] AlphasCumprod { get; }

    public static NoiseSchedule FromConfig(SchedulerConfig config)
    {
        int n = config.NumTrainTimesteps;
        if (config.TrainedBetas != null) return new NoiseSchedule(config.TrainedBetas.Select(b => (float)b).ToArray());
        return config.BetaSchedule switch
        {
            "linear" => new NoiseSchedule(LinspaceF32((float)config.BetaStart, (float)config.BetaEnd, n)),
            // torch.linspace(beta_start**0.5, beta_end**0.5, n) ** 2 in float32
            "scaled_linear" => new NoiseSchedule(LinspaceF32((float)Math.Sqrt(config.BetaStart), (float)Math.Sqrt(config.BetaEnd), n).Select(b => b * b).ToArray()),
            "squaredcos_cap_v2" => new NoiseSchedule(SquaredCosCapV2(n)),
            _ => throw new InvalidDataException($"beta_schedule \"{config.BetaSchedule}\" is not supported."),
        };
    }

    /// <summary>The fixed linear schedule linspace(start, end, n) in float32 (e.g. the img2img pipeline's own add_noise table).</summary>
    public static NoiseSchedule Linear(float betaStart, float betaEnd, int n) => new(LinspaceF32(betaStart, betaEnd, n));

    /// <summary>
    /// torch.linspace in float32 on the CPU: step = (end - start) / (n - 1) in float32; the first half counts up from
    /// start, the second half down from end (so both ends are exact).
    /// </summary>
    public static float[] LinspaceF32(float start, float end, int n)
    {
        var values = new float[n];
        if (n == 1) { values[0] = start; return values; }
        float step = (end - start) / (n - 1);
        int halfway = n / 2;
        for (int i = 0; i < n; i++)
            values[i] = i < halfway ? start + step * i : end - step * (n - i - 1);
        return values;
    }

    /// <summary>betas_for_alpha_bar with the cosine alpha-bar: min(1 - abar((i+1)/n) / abar(i/n), 0.999) in float64, stored as float32.</summary>
    static float[] SquaredCosCapV2(int n)
    {
        static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
        var betas = new float[n];
        for (int i = 0; i < n; i++)
        {
            double t1 = (double)i / n, t2 = (double)(i + 1) / n;
            betas[i] = (float)Math.Min(1 - AlphaBar(t2) / AlphaBar(t1), 0.999);
        }
        return betas;
    }
}
