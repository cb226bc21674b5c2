using Kandinsky.Lab.Tensors;
using static Kandinsky.Lab.Schedulers.SchedulerMath;

namespace Kandinsky.Lab.Schedulers;

/// <summary>
/// diffusers DDPMScheduler as shipped with the Kandinsky 2.1 decoder (ddpm_scheduler/): "leading" timesteps,
/// epsilon prediction, variance "learned_range" (the model output carries 2× the sample channels) or
/// "fixed_small" / "fixed_small_log", dynamic thresholding of x0.
/// </summary>
public sealed class DdpmScheduler : IScheduler
{
    int[] _timesteps;
    int _numInferenceSteps;

    public DdpmScheduler(SchedulerConfig config)
    {
        config.Validate();
        RequireLeadingSpacing(config, "DDPMScheduler");
        if (config.VarianceType is not ("learned_range" or "fixed_small" or "fixed_small_log"))
            throw new InvalidDataException($"DDPMScheduler: variance_type \"{config.VarianceType}\" is not supported, expected \"learned_range\", \"fixed_small\" or \"fixed_small_log\".");
        Config = config;
        Schedule = NoiseSchedule.FromConfig(config);
        _timesteps = Enumerable.Range(0, config.NumTrainTimesteps).Reverse().ToArray();
        _numInferenceSteps = config.NumTrainTimesteps;
    }

    public SchedulerConfig Config { get; }
    public NoiseSchedule Schedule { get; }
    public float InitNoiseSigma => 1f;
    public IReadOnlyList<int> Timesteps => _timesteps;

    public void SetTimesteps(int numInferenceSteps)
    {
        _timesteps = LeadingTimesteps(Config.NumTrainTimesteps, numInferenceSteps, Config.StepsOffset);
        _numInferenceSteps = numInferenceSteps;
    }

    public bool NeedsNoise(int timestep) => timestep > 0;

    /// <summary>DDPM posterior step (Ho et al. 2020, eq. 6-7, 15). <paramref name="prevTimestep"/> is not used.</summary>
    public SchedulerStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, Tensor? noise = null, int? prevTimestep = null)
    {
        int t = timestep;
        RequireTimestep(t, Config.NumTrainTimesteps, "DDPMScheduler");
        float[] eps;
        float[]? predictedVariance = null;
        if (Config.VarianceType == "learned_range" && modelOutput.Rank >= 2 && modelOutput.Size(1) == 2 * sample.Size(1))
        {
            // [B, 2C, ...] = [ε | v]
            var halves = modelOutput.Split(sample.Size(1), 1);
            eps = Values(halves[0]);
            predictedVariance = Values(halves[1]);
            foreach (var h in halves) h.Dispose();
        }
        else
        {
            RequireSameShape("DDPMScheduler.Step", modelOutput, "model output", sample, "sample");
            eps = Values(modelOutput);
        }
        var x = Values(sample);
        int prev = t - Config.NumTrainTimesteps / _numInferenceSteps;

        // 1. alphas, betas
        float alphaProdT = Schedule.AlphasCumprod[t];
        float alphaProdPrev = prev >= 0 ? Schedule.AlphasCumprod[prev] : 1f;
        float betaProdT = 1f - alphaProdT;
        float betaProdPrev = 1f - alphaProdPrev;
        float currentAlpha = alphaProdT / alphaProdPrev;
        float currentBeta = 1f - currentAlpha;

        // 2. predicted x0 (eq. 15)
        float[] x0 = Config.PredictionType == "epsilon" ? OriginalFromEpsilon(x, eps, alphaProdT) : (float[])eps.Clone();

        // 3. dynamic thresholding (Imagen) or clipping of x0
        if (Config.Thresholding) ThresholdSample(x0, sample.Size(0), Config);
        else if (Config.ClipSample) Clamp(x0, -(float)Config.ClipSampleRange, (float)Config.ClipSampleRange);

        // 4-5. posterior mean µ_t(x_t, x0) (eq. 7)
        float x0Coeff = Sqrt(alphaProdPrev) * currentBeta / betaProdT;
        float sampleCoeff = Sqrt(currentAlpha) * betaProdPrev / betaProdT;
        var prevSample = Combine(x0Coeff, x0, sampleCoeff, x);

        // 6. add noise with the posterior variance
        if (t > 0)
        {
            if (noise == null) throw new ArgumentNullException(nameof(noise), $"DDPMScheduler.Step: timestep {t} > 0 needs a noise tensor of shape {sample.ShapeString}.");
            RequireSameShape("DDPMScheduler.Step", noise, "noise", sample, "sample");
            var z = Values(noise);
            float variance = MathF.Max(betaProdPrev / betaProdT * currentBeta, 1e-20f);
            if (predictedVariance != null)
            {
                // learned_range: log σ² = f · log β_t + (1 - f) · log β̃_t, f = (v + 1) / 2
                float minLog = Log(variance), maxLog = Log(currentBeta);
                for (int i = 0; i < prevSample.Length; i++)
                {
                    float frac = (predictedVariance[i] + 1f) / 2f;
                    float p = frac * maxLog, q = (1f - frac) * minLog;
                    float std = Exp(0.5f * (p + q));
                    prevSample[i] += std * z[i];
                }
            }
            else
            {
                float std = Config.VarianceType == "fixed_small_log" ? Exp(0.5f * Log(variance)) : Sqrt(variance);
                for (int i = 0; i < prevSample.Length; i++) prevSample[i] += std * z[i];
            }
        }
        return new SchedulerStepOutput(New(prevSample, sample), New(x0, sample));
    }

    public Tensor AddNoise(Tensor originalSamples, Tensor noise, ReadOnlySpan<int> timesteps) =>
        SchedulerMath.AddNoise(Schedule.AlphasCumprod, originalSamples, noise, timesteps);
}
