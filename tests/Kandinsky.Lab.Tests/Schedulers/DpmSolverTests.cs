using Kandinsky.Lab.Schedulers;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Schedulers;

/// <summary>
/// DPMSolverMultistepScheduler against what the published algorithm implies (Lu et al. 2022), computed here in
/// float64 from the scheduler's own sigma table: first order is DDIM, and a solver of order k integrates the
/// probability-flow ODE exactly when the data prediction is a polynomial of degree k − 1 in λ = log(α/σ).
/// </summary>
public class DpmSolverTests
{
    /// <summary>The Kandinsky 2.1 decoder's noise schedule.</summary>
    static SchedulerConfig Dpm(Func<SchedulerConfig, SchedulerConfig>? edit = null)
    {
        var config = new DpmSolverOptions().Over(new SchedulerConfig
        {
            ClassName = "DDIMScheduler", BetaSchedule = "linear", BetaStart = 0.00085, BetaEnd = 0.012, ClipSample = false,
            SetAlphaToOne = false, StepsOffset = 1,
        });
        return edit == null ? config : edit(config);
    }

    static (double Alpha, double Sigma, double Lambda) At(float sigmaRatio)
    {
        double alpha = 1 / Math.Sqrt((double)sigmaRatio * sigmaRatio + 1), sigma = sigmaRatio * alpha;
        return (alpha, sigma, Math.Log(alpha) - Math.Log(sigma));
    }

    static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    static void AssertClose(double[] expected, float[] actual, double tolerance, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"{what}: element {i} is {actual[i]:G9}, expected {expected[i]:G9}");
    }

    [Theory]
    [InlineData(4, new[] { 999, 749, 500, 250 })]     // round(linspace(0, 999, 5)) reversed, 0 dropped (499.5 rounds to even)
    public void LinspaceTimesteps(int n, int[] expected)
    {
        var s = new DpmSolverMultistepScheduler(Dpm());
        s.SetTimesteps(n);
        Assert.Equal(expected, s.Timesteps);
        Assert.Equal(n + 1, s.Sigmas.Count);
        Assert.Equal(0f, s.Sigmas[^1]);
    }

    [Fact]
    public void LeadingAndTrailingTimesteps()
    {
        var leading = new DpmSolverMultistepScheduler(Dpm(c => c with { TimestepSpacing = "leading" }));
        leading.SetTimesteps(4);
        Assert.Equal([801, 601, 401, 201], leading.Timesteps);     // arange(5) · (1000 // 5) reversed, 0 dropped, + steps_offset 1
        var trailing = new DpmSolverMultistepScheduler(Dpm(c => c with { TimestepSpacing = "trailing" }));
        trailing.SetTimesteps(4);
        Assert.Equal([999, 749, 499, 249], trailing.Timesteps);    // arange(1000, 0, -250) - 1
    }

    [Fact]
    public void SigmasAreTheNoiseToSignalRatiosOfTheTimesteps()
    {
        var s = new DpmSolverMultistepScheduler(Dpm(c => c with { FinalSigmasType = "sigma_min" }));
        s.SetTimesteps(6);
        var abar = s.Schedule.AlphasCumprod;
        for (int i = 0; i < 6; i++)
        {
            double a = abar[s.Timesteps[i]];
            Assert.Equal(Math.Sqrt((1 - a) / a), s.Sigmas[i], 1e-6 * s.Sigmas[i]);
        }
        Assert.Equal(Math.Sqrt((1 - abar[0]) / abar[0]), s.Sigmas[^1], 1e-6 * s.Sigmas[^1]);
    }

    [Fact]
    public void KarrasSigmasAreEvenlySpacedInSigmaToTheOneSeventh()
    {
        var s = new DpmSolverMultistepScheduler(Dpm(c => c with { UseKarrasSigmas = true }));
        s.SetTimesteps(8);
        var abar = s.Schedule.AlphasCumprod;
        double max = Math.Sqrt((1 - (double)abar[^1]) / abar[^1]), min = Math.Sqrt((1 - (double)abar[0]) / abar[0]);
        for (int i = 0; i < 8; i++)
        {
            double expected = Math.Pow(Math.Pow(max, 1 / 7.0) + i / 7.0 * (Math.Pow(min, 1 / 7.0) - Math.Pow(max, 1 / 7.0)), 7);
            Assert.Equal(expected, s.Sigmas[i], 1e-5 * expected);
        }
        Assert.Equal(999, s.Timesteps[0]);
        Assert.Equal(0, s.Timesteps[^1]);
        Assert.True(s.Timesteps.Zip(s.Timesteps.Skip(1)).All(p => p.First >= p.Second), string.Join(", ", s.Timesteps));
    }

    [Fact]
    public void LuLambdasAreEvenlySpacedInLogSigma()
    {
        var s = new DpmSolverMultistepScheduler(Dpm(c => c with { UseLuLambdas = true }));
        s.SetTimesteps(6);
        var abar = s.Schedule.AlphasCumprod;
        double max = Math.Log(Math.Sqrt((1 - (double)abar[^1]) / abar[^1])), min = Math.Log(Math.Sqrt((1 - (double)abar[0]) / abar[0]));
        for (int i = 0; i < 6; i++) Assert.Equal(max + i / 5.0 * (min - max), Math.Log(s.Sigmas[i]), 1e-5);
        Assert.Equal(999, s.Timesteps[0]);
        Assert.Equal(0, s.Timesteps[^1]);
        Assert.Throws<InvalidDataException>(() => new DpmSolverMultistepScheduler(Dpm(c => c with { UseLuLambdas = true, UseKarrasSigmas = true })));
    }

    /// <summary>
    /// First-order DPM-Solver++ is DDIM (η = 0) on the same ᾱ: x_prev = sqrt(ᾱ_prev) x0 + sqrt(1 − ᾱ_prev) ε with
    /// x0 = (x − sqrt(1 − ᾱ) ε) / sqrt(ᾱ); the last step, to sigma 0, lands on x0.
    /// </summary>
    [Theory]
    [InlineData("dpmsolver++", "zero")]
    [InlineData("dpmsolver", "sigma_min")]
    public void FirstOrderIsDdim(string algorithm, string finalSigmas)
    {
        var s = new DpmSolverMultistepScheduler(Dpm(c => c with { SolverOrder = 1, AlgorithmType = algorithm, FinalSigmasType = finalSigmas }));
        s.SetTimesteps(5);
        var x = Tensor.FromArray(Random(24, 1), 1, 4, 2, 3);
        for (int i = 0; i < 5; i++)
        {
            var eps = Random(24, 10 + i);
            var (alpha, sigma, _) = At(s.Sigmas[i]);
            var (alphaPrev, sigmaPrev, _) = At(s.Sigmas[i + 1]);
            var xs = x.ToArray();
            var expected = xs.Select((v, k) =>
            {
                double x0 = (v - sigma * eps[k]) / alpha;
                return alphaPrev * x0 + sigmaPrev * eps[k];
            }).ToArray();
            using var e = Tensor.FromArray(eps, 1, 4, 2, 3);
            using var step = s.Step(e, s.Timesteps[i], x);
            AssertClose(expected, step.PrevSample.ToArray(), 2e-5, $"{algorithm} step {i}");
            AssertClose(xs.Select((v, k) => (v - sigma * eps[k]) / alpha).ToArray(), step.PredOriginalSample.ToArray(), 2e-5, $"x0 at step {i}");
            x.Dispose();
            x = step.PrevSample.Clone();
        }
        x.Dispose();
    }

    /// <summary>
    /// The exact solution of the DPM-Solver++ ODE from λ_s to λ_t, x_t = σ_t/σ_s · x_s + σ_t ∫ e^λ x0(λ) dλ, for a
    /// data prediction x0(λ) = Σ c_j λ^j: the antiderivative of e^λ λ^j is e^λ Σ_k (−1)^k j!/(j−k)! λ^(j−k).
    /// </summary>
    static double ExactStep(double xs, (double Alpha, double Sigma, double Lambda) s, (double Alpha, double Sigma, double Lambda) t, double[] coefficients)
    {
        double Antiderivative(double lambda)
        {
            double sum = 0;
            for (int j = 0; j < coefficients.Length; j++)
            {
                double falling = 1, inner = 0;
                for (int k = 0; k <= j; k++)
                {
                    inner += (k % 2 == 0 ? 1 : -1) * falling * Math.Pow(lambda, j - k);
                    falling *= j - k;
                }
                sum += coefficients[j] * inner;
            }
            return Math.Exp(lambda) * sum;
        }
        return t.Sigma / s.Sigma * xs + t.Sigma * (Antiderivative(t.Lambda) - Antiderivative(s.Lambda));
    }

    /// <summary>
    /// First order is exact for a constant x0, the Heun-type 2M for x0 linear in λ (its D1 is h·dx0/dλ and its
    /// coefficient the exact integral), and so is 3M (its D2 vanishes on linear data) — once the solver has the
    /// history for its order: from the second step on for 2M, the third for 3M (whose second step is the midpoint 2M,
    /// not exact). prediction_type "sample" hands the solver x0 directly.
    /// </summary>
    [Theory]
    [InlineData(1, "midpoint", 1, 0)]
    [InlineData(2, "heun", 2, 1)]
    [InlineData(3, "midpoint", 2, 2)]
    public void SolverIsExactForPolynomialDataPredictions(int order, string solverType, int terms, int exactFrom)
    {
        var s = new DpmSolverMultistepScheduler(Dpm(c => c with
        {
            SolverOrder = order, SolverType = solverType, PredictionType = "sample", LowerOrderFinal = false, FinalSigmasType = "sigma_min",
        }));
        s.SetTimesteps(10);
        double[] coefficients = new[] { 0.3, -0.2 }[..terms];
        double Data(double lambda) => coefficients.Select((c, j) => c * Math.Pow(lambda, j)).Sum();
        var x = Tensor.FromArray([0.7f], 1);
        for (int i = 0; i < 10; i++)
        {
            var from = At(s.Sigmas[i]);
            var to = At(s.Sigmas[i + 1]);
            double expected = ExactStep(x[0], from, to, coefficients);
            using var prediction = Tensor.FromArray([(float)Data(from.Lambda)], 1);
            using var step = s.Step(prediction, s.Timesteps[i], x);
            if (i >= exactFrom) AssertClose([expected], step.PrevSample.ToArray(), 2e-4, $"order {order}, step {i}");
            x.Dispose();
            x = step.PrevSample.Clone();
        }
        x.Dispose();
    }

    [Fact]
    public void TheFinalStepToSigmaZeroIsFirstOrderAndLandsOnTheDataPrediction()
    {
        var s = new DpmSolverMultistepScheduler(Dpm(c => c with { SolverOrder = 3, PredictionType = "sample" }));
        s.SetTimesteps(20);
        using var x = Tensor.FromArray(Random(6, 3), 6);
        for (int i = 0; i < 19; i++)
        {
            using var p = Tensor.FromArray(Random(6, 20 + i), 6);
            s.Step(p, s.Timesteps[i], x).Dispose();
        }
        using var last = Tensor.FromArray(Random(6, 99), 6);
        using var final = s.Step(last, s.Timesteps[^1], x);
        Assert.Equal(last.ToArray(), final.PrevSample.ToArray());
    }

    [Fact]
    public void StateAndBadSettingsAreNamed()
    {
        var s = new DpmSolverMultistepScheduler(Dpm());
        using var x = Tensor.Zeros(1, 4);
        Assert.Contains("SetTimesteps", Assert.Throws<InvalidOperationException>(() => s.Step(x, 999, x)).Message);
        s.SetTimesteps(1);
        s.Step(x, s.Timesteps[0], x).Dispose();
        Assert.Contains("all 1 steps are done", Assert.Throws<InvalidOperationException>(() => s.Step(x, 0, x)).Message);
        Assert.Contains("solver_order is 4", Assert.Throws<InvalidDataException>(() => new DpmSolverMultistepScheduler(Dpm(c => c with { SolverOrder = 4 }))).Message);
        Assert.Contains("\"zero\" is not supported with algorithm_type \"dpmsolver\"",
            Assert.Throws<InvalidDataException>(() => new DpmSolverMultistepScheduler(Dpm(c => c with { AlgorithmType = "dpmsolver" }))).Message);
        Assert.Contains("sde-dpmsolver++", Assert.Throws<ArgumentException>(() => new DpmSolverOptions { AlgorithmType = "sde-dpmsolver++" }.Validate()).Message);
        var shared = new DpmSolverMultistepScheduler(Dpm(c => c with { AlgorithmType = "deis", SolverType = "bh2" }));
        Assert.Equal(("dpmsolver++", "midpoint"), (shared.AlgorithmType, shared.SolverType));
    }

    /// <summary>A scheduler_config.json as diffusers saves it: the bare -Infinity literal of lambda_min_clipped.</summary>
    [Fact]
    public void ReadsARealSchedulerConfigWithMinusInfinity()
    {
        var dir = Directory.CreateTempSubdirectory("dpm-config").FullName;
        try
        {
            var path = Path.Combine(dir, "scheduler_config.json");
            File.WriteAllText(path, """
                {
                  "_class_name": "DPMSolverMultistepScheduler",
                  "_diffusers_version": "0.30.3",
                  "algorithm_type": "dpmsolver++",
                  "beta_end": 0.012,
                  "beta_schedule": "linear",
                  "beta_start": 0.00085,
                  "dynamic_thresholding_ratio": 0.995,
                  "euler_at_final": false,
                  "final_sigmas_type": "zero",
                  "lambda_min_clipped": -Infinity,
                  "lower_order_final": true,
                  "num_train_timesteps": 1000,
                  "prediction_type": "epsilon",
                  "rescale_betas_zero_snr": false,
                  "sample_max_value": 1.0,
                  "solver_order": 3,
                  "solver_type": "midpoint",
                  "steps_offset": 1,
                  "thresholding": false,
                  "timestep_spacing": "linspace",
                  "trained_betas": null,
                  "use_karras_sigmas": false,
                  "use_lu_lambdas": false,
                  "variance_type": null
                }
                """);
            var s = Assert.IsType<DpmSolverMultistepScheduler>(SchedulerFactory.Load(path));
            Assert.Equal(double.NegativeInfinity, s.LambdaMinClipped);
            Assert.Equal(3, s.SolverOrder);
            s.SetTimesteps(4);
            Assert.Equal([999, 749, 500, 250], s.Timesteps);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A missing timestep_spacing takes each class's diffusers default: "linspace" for DPM-Solver, "leading" for DDIM.</summary>
    [Fact]
    public void MissingSpacingTakesTheClassDefault()
    {
        var dpm = SchedulerFactory.Create(Kandinsky.Lab.Models.Common.ConfigFile.Parse<SchedulerConfig>("""{"_class_name": "DPMSolverMultistepScheduler"}""", "dpm.json"));
        dpm.SetTimesteps(4);
        Assert.Equal([999, 749, 500, 250], dpm.Timesteps);
        var ddim = SchedulerFactory.Create(Kandinsky.Lab.Models.Common.ConfigFile.Parse<SchedulerConfig>("""{"_class_name": "DDIMScheduler"}""", "ddim.json"));
        ddim.SetTimesteps(4);
        Assert.Equal([750, 500, 250, 0], ddim.Timesteps);
    }

    /// <summary>lambda_min_clipped cuts the timesteps whose λ lies below it off the top of the schedule.</summary>
    [Fact]
    public void LambdaMinClippedShortensTheSchedule()
    {
        var plain = new DpmSolverMultistepScheduler(Dpm());
        var abar = plain.Schedule.AlphasCumprod;
        double LambdaOf(int t) => 0.5 * Math.Log(abar[t] / (1.0 - abar[t]));
        // a threshold between λ(899) and λ(900): timesteps 900..999 are clipped, the spacing then runs over 0..899
        double threshold = (LambdaOf(899) + LambdaOf(900)) / 2;
        var clipped = new DpmSolverMultistepScheduler(Dpm(c => c with { LambdaMinClipped = threshold }));
        clipped.SetTimesteps(3);
        Assert.Equal([899, 599, 300], clipped.Timesteps);   // round(linspace(0, 899, 4)) reversed, 0 dropped
    }
}
