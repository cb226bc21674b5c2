namespace Kandinsky.Lab.Schedulers;

/// <summary>Builds the scheduler named by <c>_class_name</c> in a scheduler_config.json.</summary>
public static class SchedulerFactory
{
    public static IScheduler Load(string configPath) => Create(SchedulerConfig.Load(configPath), configPath);

    public static IScheduler Create(SchedulerConfig config, string source = "scheduler config") => config.ClassName switch
    {
        "UnCLIPScheduler" => new UnClipScheduler(config),
        "DDIMScheduler" => new DdimScheduler(config),
        "DDPMScheduler" => new DdpmScheduler(config),
        "DPMSolverMultistepScheduler" => new DpmSolverMultistepScheduler(config),
        _ => throw new InvalidDataException($"{source}: _class_name \"{config.ClassName}\" is not a supported scheduler, expected UnCLIPScheduler, DDIMScheduler, DDPMScheduler or DPMSolverMultistepScheduler."),
    };
}
