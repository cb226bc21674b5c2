using Kandinsky.Lab.Tensors;
using static Kandinsky.Lab.Schedulers.SchedulerMath;

namespace Kandinsky.Lab.Schedulers;

/// <summary>
/// diffusers DDIMScheduler with eta = 0 (deterministic, as the Kandinsky 2.1 decoder pipelines call it):
/// "leading" timesteps, epsilon or sample prediction, optional x0 clipping.
/// </summary>
public sealed class DdimScheduler : IScheduler
{
    int[] _timesteps;
    int _numInferenceSteps;

    public DdimScheduler(SchedulerConfig config)
    {
        config.Validate();
        RequireLeadingSpacing(config, "DDIMScheduler");
        if (config.Thresholding)
            throw new InvalidDataException("DDIMScheduler: thresholding true is not supported, expected false.");
        Config = config;
        Schedule = NoiseSchedule.FromConfig(config);
        // set_alpha_to_one: the "previous" cumulative alpha of the last step.
        FinalAlphaCumprod = config.SetAlphaToOne ? 1f : Schedule.AlphasCumprod[0];
        _timesteps = Enumerable.Range(0, config.NumTrainTimesteps).Reverse().ToArray();
        _numInferenceSteps = config.NumTrainTimesteps;
    }

    public SchedulerConfig Config { get; }
    public NoiseSchedule Schedule { get; }
    public float FinalAlphaCumprod { get; }
    public float InitNoiseSigma => 1f;
    public IReadOnlyList<int> Timesteps => _timesteps;

    /// <summary>"leading": arange(N) · (T // N) reversed, + steps_offset.</summary>
    public void SetTimesteps(int numInferenceSteps)
    {
        _timesteps = LeadingTimesteps(Config.NumTrainTimesteps, numInferenceSteps, Config.StepsOffset);
        _numInferenceSteps = numInferenceSteps;
    }

    public bool NeedsNoise(int timestep) => false;

    /// <summary>DDIM step (Song et al. 2020, eq. 12) with σ_t = 0. <paramref name="noise"/> and <paramref name="prevTimestep"/> are not used.</summary>
    public SchedulerStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, Tensor? noise = null, int? prevTimestep = null)
    {
        RequireTimestep(timestep, Config.NumTrainTimesteps, "DDIMScheduler");
        RequireSameShape("DDIMScheduler.Step", modelOutput, "model output", sample, "sample");
        var output = Values(modelOutput);
        var x = Values(sample);

        // 1. previous timestep t - T // N
        int prev = timestep - Config.NumTrainTimesteps / _numInferenceSteps;

        // 2. alphas, betas
        float alphaProdT = Schedule.AlphasCumprod[timestep];
        float alphaProdPrev = prev >= 0 ? Schedule.AlphasCumprod[prev] : FinalAlphaCumprod;

        // 3. predicted x0 and ε ("predicted x_0" of eq. 12)
        float[] x0, eps;
        if (Config.PredictionType == "epsilon")
        {
            x0 = OriginalFromEpsilon(x, output, alphaProdT);
            eps = output;
        }
        else
        {
            x0 = output;
            eps = new float[x.Length];
            float sqrtAlpha = Sqrt(alphaProdT), sqrtBeta = Sqrt(1f - alphaProdT);
            for (int i = 0; i < eps.Length; i++) eps[i] = (x[i] - sqrtAlpha * x0[i]) / sqrtBeta;
        }

        // 4. clip x0
        if (Config.ClipSample) Clamp(x0, -(float)Config.ClipSampleRange, (float)Config.ClipSampleRange);

        // 5-6. "direction pointing to x_t" sqrt(1 - a_prev - σ²) · ε with σ = 0 (eta = 0), then eq. 12
        float directionCoeff = Sqrt(1f - alphaProdPrev);
        var prevSample = Combine(Sqrt(alphaProdPrev), x0, directionCoeff, eps);
        return new SchedulerStepOutput(New(prevSample, sample), New(x0, sample));
    }

    public Tensor AddNoise(Tensor originalSamples, Tensor noise, ReadOnlySpan<int> timesteps) =>
        SchedulerMath.AddNoise(Schedule.AlphasCumprod, originalSamples, noise, timesteps);
}
