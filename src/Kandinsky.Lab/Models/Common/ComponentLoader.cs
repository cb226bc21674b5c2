using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Common;

/// <summary>
/// The one load route of every network: a component folder (a pipeline's <c>unet/</c>, a golden case's
/// <c>model/</c>, a bench's <c>--model</c>) holds config.json and the weights (single file or sharded). The config is
/// read and validated by <see cref="ConfigFile"/>, the network built through <see cref="WeightCursor.Build"/>, so a
/// weight that is missing, unused or mis-shaped fails the load with every problem listed and nothing left open.
/// (Weights from elsewhere — an in-memory store in a test — go through <see cref="WeightCursor.Build"/> the same way.)
/// </summary>
public static class ComponentLoader
{
    public const string ConfigFileName = "config.json";

    public static TModel Load<TConfig, TModel>(string folder, Func<TConfig, WeightCursor, TModel> build)
        where TConfig : class, IConfig<TConfig> where TModel : IDisposable
    {
        var config = ConfigFile.Load<TConfig>(Path.Combine(folder, ConfigFileName));
        using var store = SafetensorsWeightStore.Open(folder);
        return WeightCursor.Build(store, folder, w => build(config, w));
    }
}
