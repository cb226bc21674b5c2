using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Schedulers;

namespace Kandinsky.Lab.Tests.Pipeline;

/// <summary>DPM-Solver chosen per decode: through DecodeOptions and the reproducibility record (the CLI's --scheduler: GenerateAndTourTests).</summary>
public class DpmSolverDecodeTests
{
    [Fact]
    public void DecodeRunsTheSolverOnTheFoldersNoiseScheduleAndRecordsItsSettings()
    {
        using var lab = KandinskyLab.Micro();
        var karras = new DpmSolverOptions { UseKarrasSigmas = true, SolverOrder = 3 };
        using var run = lab.Generate("a person with blue hair", new PriorOptions { Steps = 2, Seed = 4 },
            new DecodeOptions { Steps = 4, Scheduler = DecoderSchedulerKind.DpmSolverMultistep, DpmSolver = karras });
        Assert.Equal(karras, run.Decoder.Options.DpmSolver);
        Assert.Equal("DPMSolverMultistep", run.Decoder.Run.Scheduler);

        var scheduler = Assert.IsType<DpmSolverMultistepScheduler>(lab.DecoderPipeline.CreateScheduler(DecoderSchedulerKind.DpmSolverMultistep, karras));
        scheduler.SetTimesteps(4);
        Assert.Equal(scheduler.Timesteps, run.Decoder.Steps.Select(s => s.Timestep));
        Assert.Equal(lab.DecoderPipeline.SchedulerConfig.StepsOffset, scheduler.Config.StepsOffset);
        Assert.Equal(lab.DecoderPipeline.SchedulerConfig.BetaEnd, scheduler.Config.BetaEnd);

        // the record carries the solver settings, and replaying it gives the same pixels
        var path = Path.Combine(Path.GetTempPath(), $"dpm-record-{Guid.NewGuid():N}.json");
        try
        {
            GenerationRecord.Of(run, KandinskyLab.MicroPath, []).Save(path);
            Assert.Contains("\"algorithm_type\": \"dpmsolver++\"", File.ReadAllText(path));
            var record = GenerationRecord.Load(path);
            Assert.Equal(karras, record.Decode.DpmSolver);
            using var again = lab.Replay(record);
            Assert.Equal(run.Images[0].Bytes, again.Images[0].Bytes);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DefaultsAreRecordedAndSolverSettingsNeedTheSolver()
    {
        var settings = new DecodeOptions { Scheduler = DecoderSchedulerKind.DpmSolverMultistep }.Settings();
        Assert.Equal(new DpmSolverOptions(), settings.DpmSolver);
        Assert.Null(new DecodeOptions().Settings().DpmSolver);
        Assert.Throws<ArgumentException>(() => new DecodeOptions { DpmSolver = new DpmSolverOptions() }.Validate());
        var bad = Assert.Throws<ArgumentException>(() => new DecodeOptions { Scheduler = DecoderSchedulerKind.DpmSolverMultistep, DpmSolver = new() { SolverOrder = 0 } }.Validate());
        Assert.Contains("solver_order is 0", bad.Message);
    }
}
