using Kandinsky.Lab.Tensors;
using static Kandinsky.Lab.Schedulers.SchedulerMath;

namespace Kandinsky.Lab.Schedulers;

/// <summary>
/// diffusers (0.30.3) DPMSolverMultistepScheduler: the multistep DPM-Solver++ (Lu et al. 2022, arXiv:2211.01095;
/// algorithm_type "dpmsolver++", a data-prediction solver) or DPM-Solver ("dpmsolver", noise prediction,
/// arXiv:2206.00927) of order 1–3, deterministic (the SDE variants are not ported). Timesteps by "linspace", "leading"
/// or "trailing" spacing, by Karras sigmas or by Lu's uniform log-SNR; the final sigma 0 ("zero") or the smallest training sigma ("sigma_min").
/// The solver keeps its last model outputs between <see cref="Step"/> calls and counts steps itself, as the reference.
/// </summary>
public sealed class DpmSolverMultistepScheduler : IScheduler
{
    int[] _timesteps;
    float[]? _sigmas;
    /// <summary>model_outputs: the converted outputs of the last solver_order steps, oldest first.</summary>
    float[]?[] _modelOutputs;
    int _lowerOrderNums;
    int? _stepIndex;

    public DpmSolverMultistepScheduler(SchedulerConfig config)
    {
        const string name = "DPMSolverMultistepScheduler";
        config.Validate();
        SolverOrder = config.SolverOrder ?? 2;
        // diffusers maps the DEIS / UniPC names it shares configs with onto DPM-Solver++ and the midpoint solver
        AlgorithmType = config.AlgorithmType is null or "deis" ? "dpmsolver++" : config.AlgorithmType;
        SolverType = config.SolverType is null or "logrho" or "bh1" or "bh2" ? "midpoint" : config.SolverType;
        LowerOrderFinal = config.LowerOrderFinal ?? true;
        EulerAtFinal = config.EulerAtFinal ?? false;
        UseKarrasSigmas = config.UseKarrasSigmas ?? false;
        UseLuLambdas = config.UseLuLambdas ?? false;
        FinalSigmasType = config.FinalSigmasType ?? "zero";
        TimestepSpacing = config.TimestepSpacing ?? "linspace";
        LambdaMinClipped = config.LambdaMinClipped ?? double.NegativeInfinity;
        if (SolverOrder is < 1 or > 3)
            throw new InvalidDataException($"{name}: solver_order is {SolverOrder}, expected 1, 2 or 3.");
        if (AlgorithmType is not ("dpmsolver++" or "dpmsolver"))
            throw new InvalidDataException($"{name}: algorithm_type \"{AlgorithmType}\" is not supported, expected \"dpmsolver++\" or \"dpmsolver\" (the SDE variants are not ported).");
        if (SolverType is not ("midpoint" or "heun"))
            throw new InvalidDataException($"{name}: solver_type \"{SolverType}\" is not supported, expected \"midpoint\" or \"heun\".");
        if (FinalSigmasType is not ("zero" or "sigma_min"))
            throw new InvalidDataException($"{name}: final_sigmas_type \"{FinalSigmasType}\" is not supported, expected \"zero\" or \"sigma_min\".");
        if (AlgorithmType == "dpmsolver" && FinalSigmasType == "zero")
            throw new InvalidDataException($"{name}: final_sigmas_type \"zero\" is not supported with algorithm_type \"dpmsolver\", expected \"sigma_min\".");
        if (UseKarrasSigmas && UseLuLambdas)
            throw new InvalidDataException($"{name}: use_karras_sigmas and use_lu_lambdas are both true, expected at most one.");
        if (config.VarianceType is "learned" or "learned_range")
            throw new InvalidDataException($"{name}: variance_type \"{config.VarianceType}\" is not supported, expected null (give the model output without its variance channels).");
        if (double.IsNaN(LambdaMinClipped))
            throw new InvalidDataException($"{name}: lambda_min_clipped is NaN, expected a number or -Infinity.");
        Config = config;
        Schedule = NoiseSchedule.FromConfig(config);
        _timesteps = Enumerable.Range(0, config.NumTrainTimesteps).Reverse().ToArray();
        _modelOutputs = new float[]?[SolverOrder];
    }

    public SchedulerConfig Config { get; }
    public NoiseSchedule Schedule { get; }
    public int SolverOrder { get; }
    public string AlgorithmType { get; }
    public string SolverType { get; }
    public bool LowerOrderFinal { get; }
    public bool EulerAtFinal { get; }
    public bool UseKarrasSigmas { get; }
    public bool UseLuLambdas { get; }
    public string FinalSigmasType { get; }
    public string TimestepSpacing { get; }
    public double LambdaMinClipped { get; }
    public float InitNoiseSigma => 1f;
    public IReadOnlyList<int> Timesteps => _timesteps;
    /// <summary>σ = sqrt((1 − ᾱ) / ᾱ) at each timestep after <see cref="SetTimesteps"/>, plus the final sigma (N + 1 values).</summary>
    public IReadOnlyList<float> Sigmas => _sigmas ?? throw new InvalidOperationException("DPMSolverMultistepScheduler: call SetTimesteps first.");

    /// <summary>set_timesteps: the timesteps of the configured spacing (or of the Karras / Lu sigma ramp), their sigmas and a fresh solver state.</summary>
    public void SetTimesteps(int numInferenceSteps)
    {
        int trainSteps = Config.NumTrainTimesteps;
        if (numInferenceSteps < 1 || numInferenceSteps > trainSteps)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), $"DPMSolverMultistepScheduler.SetTimesteps: num_inference_steps is {numInferenceSteps}, expected 1..{trainSteps} (num_train_timesteps).");
        var trainSigmas = TrainSigmas();
        double[] sigmas;
        if (UseKarrasSigmas || UseLuLambdas)
        {
            var logSigmas = trainSigmas.Select(s => Log(s)).ToArray();
            sigmas = UseKarrasSigmas ? KarrasSigmas(trainSigmas[0], trainSigmas[^1], numInferenceSteps) : LuSigmas(logSigmas[0], logSigmas[^1], numInferenceSteps);
            _timesteps = sigmas.Select(s => (int)Math.Round(SigmaToT(s, logSigmas), MidpointRounding.ToEven)).ToArray();
        }
        else
        {
            _timesteps = SpacedTimesteps(numInferenceSteps, LastTimestep());
            sigmas = _timesteps.Select(t => (double)trainSigmas[t]).ToArray();
        }
        float last = FinalSigmasType == "sigma_min" ? trainSigmas[0] : 0f;
        _sigmas = [.. sigmas.Select(s => (float)s), last];
        Array.Clear(_modelOutputs);
        _lowerOrderNums = 0;
        _stepIndex = null;
    }

    /// <summary>sqrt((1 − ᾱ) / ᾱ) over the training timesteps, in float32.</summary>
    float[] TrainSigmas() => Schedule.AlphasCumprod.Select(a => Sqrt((1f - a) / a)).ToArray();

    /// <summary>num_train_timesteps minus the timesteps whose λ = log α − log σ falls below lambda_min_clipped (searchsorted, left).</summary>
    int LastTimestep()
    {
        float min = (float)LambdaMinClipped;
        var acp = Schedule.AlphasCumprod;
        int clipped = 0;
        for (int t = acp.Length - 1; t >= 0 && Log(Sqrt(acp[t])) - Log(Sqrt(1f - acp[t])) < min; t--) clipped++;
        return Config.NumTrainTimesteps - clipped;
    }

    /// <summary>The three spacings of set_timesteps, computed in float64 as numpy does.</summary>
    int[] SpacedTimesteps(int n, int lastTimestep)
    {
        switch (TimestepSpacing)
        {
            case "linspace":
            {
                // linspace(0, last - 1, n + 1).round()[::-1][:-1]
                double step = (lastTimestep - 1.0) / n;
                return Enumerable.Range(1, n).Reverse().Select(i => (int)Math.Round(i == n ? lastTimestep - 1.0 : i * step)).ToArray();
            }
            case "leading":
            {
                int ratio = lastTimestep / (n + 1);
                return Enumerable.Range(1, n).Reverse().Select(i => i * ratio + Config.StepsOffset).ToArray();
            }
            default:
            {
                // "trailing": arange(last, 0, -T / n).round() - 1, numpy's arange filling start + i·(second − start)
                double ratio = (double)Config.NumTrainTimesteps / n;
                int count = (int)Math.Ceiling(-lastTimestep / -ratio);
                double delta = (lastTimestep - ratio) - lastTimestep;
                return Enumerable.Range(0, count).Select(i => (int)Math.Round(i == 0 ? lastTimestep : lastTimestep + i * delta) - 1).ToArray();
            }
        }
    }

    /// <summary>The Karras et al. (2022) ramp, ρ = 7, from σ_max down to σ_min in float64.</summary>
    static double[] KarrasSigmas(double sigmaMin, double sigmaMax, int n)
    {
        const double rho = 7.0;
        double minInvRho = Math.Pow(sigmaMin, 1 / rho), maxInvRho = Math.Pow(sigmaMax, 1 / rho);
        return Ramp(n).Select(r => Math.Pow(maxInvRho + r * (minInvRho - maxInvRho), rho)).ToArray();
    }

    /// <summary>Lu's uniform-logSNR steps (_convert_to_lu, ρ = 1): log σ evenly spaced from the largest to the smallest.</summary>
    static double[] LuSigmas(double logSigmaMin, double logSigmaMax, int n) =>
        Ramp(n).Select(r => Math.Exp(logSigmaMax + r * (logSigmaMin - logSigmaMax))).ToArray();

    /// <summary>np.linspace(0, 1, n): i · (1 / (n − 1)), the last exactly 1.</summary>
    static IEnumerable<double> Ramp(int n) => Enumerable.Range(0, n).Select(i => n == 1 ? 0 : i == n - 1 ? 1.0 : i * (1.0 / (n - 1)));

    /// <summary>
    /// _sigma_to_t: the fractional timestep of σ by linear interpolation in log σ between its neighbours in the
    /// training table. The distances and the weight are float32 as numpy 1.x computes them (a float64 scalar against
    /// a float32 array is cast to float32); the timestep is float64.
    /// </summary>
    static double SigmaToT(double sigma, float[] logSigmas)
    {
        float logSigma = (float)Math.Log(Math.Max(sigma, 1e-10));
        int low = 0;
        for (int i = 0; i < logSigmas.Length; i++) if (logSigma - logSigmas[i] >= 0) low = i;
        low = Math.Min(low, logSigmas.Length - 2);
        float lo = logSigmas[low], hi = logSigmas[low + 1];
        float w = Math.Clamp((lo - logSigma) / (lo - hi), 0f, 1f);
        return (double)(1f - w) * low + (double)w * (low + 1);
    }

    public bool NeedsNoise(int timestep) => false;

    /// <summary>
    /// One solver step from the current step index to the next (the index is found from <paramref name="timestep"/> on
    /// the first call, then counted). First order at the start and, as the reference decides, at the end
    /// (lower_order_final below 15 steps, euler_at_final, or a zero final sigma); second order next to last below 15
    /// steps with lower_order_final. <paramref name="noise"/> and <paramref name="prevTimestep"/> are not used.
    /// </summary>
    public SchedulerStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, Tensor? noise = null, int? prevTimestep = null)
    {
        var sigmas = _sigmas ?? throw new InvalidOperationException("DPMSolverMultistepScheduler.Step: call SetTimesteps first.");
        RequireSameShape("DPMSolverMultistepScheduler.Step", modelOutput, "model output", sample, "sample");
        int index = _stepIndex ??= IndexForTimestep(timestep);
        int n = _timesteps.Length;
        if (index >= n)
            throw new InvalidOperationException($"DPMSolverMultistepScheduler.Step: all {n} steps are done; call SetTimesteps again.");
        bool lowerOrderFinal = index == n - 1 && (EulerAtFinal || (LowerOrderFinal && n < 15) || FinalSigmasType == "zero");
        bool lowerOrderSecond = index == n - 2 && LowerOrderFinal && n < 15;

        var x = Values(sample);
        var (converted, x0) = ConvertModelOutput(Values(modelOutput), x, sample.Size(0), sigmas[index]);
        Array.Copy(_modelOutputs, 1, _modelOutputs, 0, SolverOrder - 1);
        _modelOutputs[^1] = converted;

        float[] prev;
        if (SolverOrder == 1 || _lowerOrderNums < 1 || lowerOrderFinal) prev = FirstOrderUpdate(converted, x, index);
        else if (SolverOrder == 2 || _lowerOrderNums < 2 || lowerOrderSecond) prev = SecondOrderUpdate(x, index);
        else prev = ThirdOrderUpdate(x, index);

        if (_lowerOrderNums < SolverOrder) _lowerOrderNums++;
        _stepIndex = index + 1;
        return new SchedulerStepOutput(New(prev, sample), New(x0, sample));
    }

    /// <summary>index_for_timestep: the position of <paramref name="timestep"/> in the schedule (the second of two equal ones; the last if absent).</summary>
    int IndexForTimestep(int timestep)
    {
        var matches = Enumerable.Range(0, _timesteps.Length).Where(i => _timesteps[i] == timestep).Take(2).ToArray();
        return matches.Length == 0 ? _timesteps.Length - 1 : matches[^1];
    }

    /// <summary>α_t = 1 / sqrt(σ² + 1), σ_t = σ · α_t (σ is the ratio sqrt((1 − ᾱ) / ᾱ)), in float32.</summary>
    static (float Alpha, float Sigma) AlphaSigma(float sigma)
    {
        float alpha = 1f / Sqrt(sigma * sigma + 1f);
        return (alpha, sigma * alpha);
    }

    /// <summary>λ = log α_t − log σ_t (the half log-SNR; +∞ at σ = 0).</summary>
    static float Lambda(float alpha, float sigma) => Log(alpha) - Log(sigma);

    /// <summary>
    /// convert_model_output: the data prediction x0 for DPM-Solver++ or the noise prediction ε for DPM-Solver, and x0
    /// either way (the step's predicted clean sample); thresholding applies to x0.
    /// </summary>
    (float[] Converted, float[] X0) ConvertModelOutput(float[] output, float[] x, int batch, float sigma)
    {
        var (alphaT, sigmaT) = AlphaSigma(sigma);
        bool epsilon = Config.PredictionType == "epsilon";
        if (AlgorithmType == "dpmsolver++")
        {
            var x0 = epsilon ? Solve(x, sigmaT, output, alphaT) : (float[])output.Clone();
            if (Config.Thresholding) ThresholdSample(x0, batch, Config);
            return (x0, x0);
        }
        var eps = epsilon ? output : Solve(x, alphaT, output, sigmaT);
        if (!Config.Thresholding) return (eps, Solve(x, sigmaT, eps, alphaT));
        var clipped = Solve(x, sigmaT, eps, alphaT);
        ThresholdSample(clipped, batch, Config);
        return (Solve(x, alphaT, clipped, sigmaT), clipped);
    }

    /// <summary>(x − c · m) / d element-wise: x0 = (x − σ_t ε) / α_t and ε = (x − α_t x0) / σ_t.</summary>
    static float[] Solve(float[] x, float c, float[] m, float d)
    {
        var y = new float[x.Length];
        for (int i = 0; i < y.Length; i++)
        {
            float scaled = c * m[i];
            y[i] = (x[i] - scaled) / d;
        }
        return y;
    }

    /// <summary>α_t, σ_t and λ at a position of the sigma schedule (the step index + 1 is the step's target).</summary>
    (float Alpha, float Sigma, float Lambda) At(int index)
    {
        var (alpha, sigma) = AlphaSigma(_sigmas![index]);
        return (alpha, sigma, Lambda(alpha, sigma));
    }

    /// <summary>dpm_solver_first_order_update (DDIM with these sigmas): x_t = σ_t/σ_s · x − α_t (e^−h − 1) · x0 for DPM-Solver++.</summary>
    float[] FirstOrderUpdate(float[] m, float[] x, int index)
    {
        var (alphaT, sigmaT, lambdaT) = At(index + 1);
        var (alphaS, sigmaS, lambdaS) = At(index);
        float h = lambdaT - lambdaS;
        return AlgorithmType == "dpmsolver++"
            ? Combine(sigmaT / sigmaS, x, -(alphaT * (Exp(-h) - 1f)), m)
            : Combine(alphaT / alphaS, x, -(sigmaT * (Exp(h) - 1f)), m);
    }

    /// <summary>multistep_dpm_solver_second_order_update: D0 = m0, D1 = (m0 − m1) / r0 with r0 = h0 / h.</summary>
    float[] SecondOrderUpdate(float[] x, int index)
    {
        var (alphaT, sigmaT, lambdaT) = At(index + 1);
        var (alphaS0, sigmaS0, lambdaS0) = At(index);
        var (_, _, lambdaS1) = At(index - 1);
        float[] m0 = _modelOutputs[^1]!, m1 = _modelOutputs[^2]!;
        float h = lambdaT - lambdaS0, h0 = lambdaS0 - lambdaS1;
        float r0 = h0 / h;
        var d1 = Scaled(1f / r0, Difference(m0, m1));
        bool midpoint = SolverType == "midpoint";
        if (AlgorithmType == "dpmsolver++")
        {
            float c1 = alphaT * (Exp(-h) - 1f);
            var first = Combine(sigmaT / sigmaS0, x, -c1, m0);
            return midpoint ? Add(first, -(0.5f * c1), d1) : Add(first, alphaT * ((Exp(-h) - 1f) / h + 1f), d1);
        }
        else
        {
            float c1 = sigmaT * (Exp(h) - 1f);
            var first = Combine(alphaT / alphaS0, x, -c1, m0);
            return midpoint ? Add(first, -(0.5f * c1), d1) : Add(first, -(sigmaT * ((Exp(h) - 1f) / h - 1f)), d1);
        }
    }

    /// <summary>multistep_dpm_solver_third_order_update: D1 and D2 from the divided differences of the last three outputs.</summary>
    float[] ThirdOrderUpdate(float[] x, int index)
    {
        var (alphaT, sigmaT, lambdaT) = At(index + 1);
        var (alphaS0, sigmaS0, lambdaS0) = At(index);
        var (_, _, lambdaS1) = At(index - 1);
        var (_, _, lambdaS2) = At(index - 2);
        float[] m0 = _modelOutputs[^1]!, m1 = _modelOutputs[^2]!, m2 = _modelOutputs[^3]!;
        float h = lambdaT - lambdaS0, h0 = lambdaS0 - lambdaS1, h1 = lambdaS1 - lambdaS2;
        float r0 = h0 / h, r1 = h1 / h;
        var d10 = Scaled(1f / r0, Difference(m0, m1));
        var d11 = Scaled(1f / r1, Difference(m1, m2));
        var d1Minus = Difference(d10, d11);
        var d1 = Add(d10, r0 / (r0 + r1), d1Minus);
        var d2 = Scaled(1f / (r0 + r1), d1Minus);
        if (AlgorithmType == "dpmsolver++")
        {
            float e = Exp(-h) - 1f;
            var first = Combine(sigmaT / sigmaS0, x, -(alphaT * e), m0);
            return Add(Add(first, alphaT * (e / h + 1f), d1), -(alphaT * ((e + h) / (h * h) - 0.5f)), d2);
        }
        else
        {
            float e = Exp(h) - 1f;
            var first = Combine(alphaT / alphaS0, x, -(sigmaT * e), m0);
            return Add(Add(first, -(sigmaT * (e / h - 1f)), d1), -(sigmaT * ((e - h) / (h * h) - 0.5f)), d2);
        }
    }

    static float[] Difference(float[] a, float[] b)
    {
        var y = new float[a.Length];
        for (int i = 0; i < y.Length; i++) y[i] = a[i] - b[i];
        return y;
    }

    static float[] Scaled(float c, float[] a)
    {
        var y = new float[a.Length];
        for (int i = 0; i < y.Length; i++) y[i] = c * a[i];
        return y;
    }

    /// <summary>a + c · b with the product rounded first (a tensor op and an add).</summary>
    static float[] Add(float[] a, float c, float[] b)
    {
        var y = new float[a.Length];
        for (int i = 0; i < y.Length; i++)
        {
            float q = c * b[i];
            y[i] = a[i] + q;
        }
        return y;
    }

    /// <summary>add_noise: α_t · x0 + σ_t · noise at each timestep's sigma of the current schedule.</summary>
    public Tensor AddNoise(Tensor originalSamples, Tensor noise, ReadOnlySpan<int> timesteps)
    {
        var sigmas = _sigmas ?? throw new InvalidOperationException("DPMSolverMultistepScheduler.AddNoise: call SetTimesteps first.");
        return SchedulerMath.AddNoise(originalSamples, noise, timesteps, t => AlphaSigma(sigmas[IndexForTimestep(t)]));
    }
}
