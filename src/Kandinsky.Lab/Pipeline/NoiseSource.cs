using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// Where a stage's Gaussian draws come from, in the order the reference pipelines make them: the initial
/// latents first, then one draw per stochastic scheduler step.
/// </summary>
public interface INoiseSource
{
    /// <summary>A standard-normal tensor of <paramref name="shape"/>; <paramref name="purpose"/> names the draw in errors.</summary>
    Tensor Next(string purpose, params int[] shape);
}

/// <summary>Draws from a <see cref="TorchGenerator"/>: the same numbers as <c>torch.randn(shape, generator=g)</c> on CPU.</summary>
public sealed class GeneratorNoise(TorchGenerator generator) : INoiseSource
{
    public GeneratorNoise(ulong seed) : this(new TorchGenerator(seed)) { }

    public TorchGenerator Generator { get; } = generator;

    public Tensor Next(string purpose, params int[] shape) => Generator.Randn(shape);
}

/// <summary>Replays recorded draws in order (a reference run's noise); running out or a shape mismatch is an error.</summary>
public sealed class RecordedNoise(IEnumerable<Tensor> draws, string source) : INoiseSource
{
    readonly Queue<Tensor> _draws = new(draws);

    public int Remaining => _draws.Count;

    public Tensor Next(string purpose, params int[] shape)
    {
        if (!_draws.TryDequeue(out var t))
            throw new InvalidOperationException($"{source}: no recorded noise left for {purpose} (expected shape {ShapeUtil.Format(shape)}).");
        if (!t.Shape.SequenceEqual(shape))
            throw new InvalidOperationException($"{source}: recorded noise for {purpose} has shape {t.ShapeString}, expected {ShapeUtil.Format(shape)}.");
        return t.Clone();
    }
}
