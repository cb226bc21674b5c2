using Kandinsky.Lab.Tensors;
using static Kandinsky.Lab.Schedulers.SchedulerMath;

namespace Kandinsky.Lab.Schedulers;

/// <summary>
/// diffusers UnCLIPScheduler (the Kandinsky 2.1 prior's): DDPM posterior with an arbitrary previous timestep,
/// prediction_type "sample" (or "epsilon"), x0 clipping, variance "fixed_small_log" (std = exp(0.5 · log(max(β̃_t, 1e-20)))).
/// </summary>
public sealed class UnClipScheduler : IScheduler
{
    int[] _timesteps;

    public UnClipScheduler(SchedulerConfig config)
    {
        config.Validate();
        if (config.VarianceType != "fixed_small_log")
            throw new InvalidDataException($"UnCLIPScheduler: variance_type \"{config.VarianceType}\" is not supported, expected \"fixed_small_log\" (the Kandinsky 2.1 prior's).");
        Config = config;
        Schedule = NoiseSchedule.FromConfig(config);
        // Until set_timesteps: every training timestep, highest first.
        _timesteps = Enumerable.Range(0, config.NumTrainTimesteps).Reverse().ToArray();
    }

    public SchedulerConfig Config { get; }
    public NoiseSchedule Schedule { get; }
    public float InitNoiseSigma => 1f;
    public IReadOnlyList<int> Timesteps => _timesteps;

    /// <summary>timesteps = round(arange(N) · (T - 1) / (N - 1)) reversed (round half to even), so they run from T - 1 to 0.</summary>
    public void SetTimesteps(int numInferenceSteps)
    {
        if (numInferenceSteps < 2)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), $"UnCLIPScheduler.SetTimesteps: num_inference_steps is {numInferenceSteps}, expected at least 2.");
        double ratio = (Config.NumTrainTimesteps - 1.0) / (numInferenceSteps - 1);
        _timesteps = new int[numInferenceSteps];
        for (int i = 0; i < numInferenceSteps; i++)
            _timesteps[numInferenceSteps - 1 - i] = (int)Math.Round(i * ratio, MidpointRounding.ToEven);
    }

    public bool NeedsNoise(int timestep) => timestep > 0;

    public SchedulerStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, Tensor? noise = null, int? prevTimestep = null)
    {
        int t = timestep;
        RequireTimestep(t, Config.NumTrainTimesteps, "UnCLIPScheduler");
        RequireSameShape("UnCLIPScheduler.Step", modelOutput, "model output", sample, "sample");
        var output = Values(modelOutput);
        var x = Values(sample);
        int prev = prevTimestep ?? t - 1;
        if (prev >= t)
            throw new ArgumentOutOfRangeException(nameof(prevTimestep), $"UnCLIPScheduler.Step: prev_timestep {prev} must be below the timestep {t}.");

        // 1. alphas, betas (eq. 6-7 of DDPM with an arbitrary previous timestep)
        float alphaProdT = Schedule.AlphasCumprod[t];
        float alphaProdPrev = prev >= 0 ? Schedule.AlphasCumprod[prev] : 1f;
        float betaProdT = 1f - alphaProdT;
        float betaProdPrev = 1f - alphaProdPrev;
        float beta, alpha;
        if (prev == t - 1)
        {
            beta = Schedule.Betas[t];
            alpha = Schedule.Alphas[t];
        }
        else
        {
            beta = 1f - alphaProdT / alphaProdPrev;
            alpha = 1f - beta;
        }

        // 2. predicted x0 (eq. 15 for epsilon)
        float[] x0 = Config.PredictionType == "epsilon" ? OriginalFromEpsilon(x, output, alphaProdT) : (float[])output.Clone();

        // 3. clip x0
        if (Config.ClipSample) Clamp(x0, -(float)Config.ClipSampleRange, (float)Config.ClipSampleRange);

        // 4-5. posterior mean µ_t(x_t, x0) (eq. 7)
        float x0Coeff = Sqrt(alphaProdPrev) * beta / betaProdT;
        float sampleCoeff = Sqrt(alpha) * betaProdPrev / betaProdT;
        var prevSample = Combine(x0Coeff, x0, sampleCoeff, x);

        // 6. add noise with the posterior variance
        if (t > 0)
        {
            if (noise == null) throw new ArgumentNullException(nameof(noise), $"UnCLIPScheduler.Step: timestep {t} > 0 needs a noise tensor of shape {sample.ShapeString}.");
            RequireSameShape("UnCLIPScheduler.Step", noise, "noise", sample, "sample");
            var z = Values(noise);
            float variance = betaProdPrev / betaProdT * beta;
            float std = Exp(0.5f * Log(MathF.Max(variance, 1e-20f)));
            for (int i = 0; i < prevSample.Length; i++) prevSample[i] += std * z[i];
        }
        return new SchedulerStepOutput(New(prevSample, sample), New(x0, sample));
    }

    public Tensor AddNoise(Tensor originalSamples, Tensor noise, ReadOnlySpan<int> timesteps) =>
        SchedulerMath.AddNoise(Schedule.AlphasCumprod, originalSamples, noise, timesteps);
}
