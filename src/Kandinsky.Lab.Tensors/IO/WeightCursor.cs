using System.Text;

namespace Kandinsky.Lab.Tensors.IO;

/// <summary>A set of named tensors (a checkpoint, a golden file, a dictionary in a test).</summary>
public interface IWeightStore
{
    IEnumerable<string> Keys { get; }
    /// <summary>The tensor stored under <paramref name="key"/> (a view the caller disposes), and the file it came from.</summary>
    bool TryGet(string key, out Tensor tensor, out string source);
}

/// <summary>An in-memory store (tests, generated weights). Hands out views; the store keeps its own references.</summary>
public sealed class DictionaryWeightStore(IReadOnlyDictionary<string, Tensor> tensors, string source = "(memory)") : IWeightStore
{
    public IEnumerable<string> Keys => tensors.Keys;

    public bool TryGet(string key, out Tensor tensor, out string src)
    {
        src = source;
        if (tensors.TryGetValue(key, out var t)) { tensor = t.Alias(); return true; }
        tensor = null!;
        return false;
    }
}

/// <summary>A tensor a network asked its <see cref="WeightCursor"/> for: the full checkpoint key and the expected shape.</summary>
public readonly record struct WeightRequest(string Key, int[] Shape);

/// <summary>Thrown when a network's weights do not match its checkpoint; lists every problem at once.</summary>
public sealed class WeightLoadException(string message, IReadOnlyList<string> missing, IReadOnlyList<string> unused, IReadOnlyList<string> misshaped)
    : Exception(message)
{
    public IReadOnlyList<string> Missing { get; } = missing;
    public IReadOnlyList<string> Unused { get; } = unused;
    public IReadOnlyList<string> Misshaped { get; } = misshaped;
}

/// <summary>
/// A path cursor over a checkpoint (candle's VarBuilder idea): layers are built with their checkpoint names
/// written out — <c>w.Push("down_blocks").Push(0).Get("conv1.weight", o, c, 3, 3)</c> — and the cursor records
/// every key it handed out. <see cref="Finish"/> then reports all missing, unused and mis-shaped keys together.
/// A missing or mis-shaped key yields a zero tensor of the expected shape so construction can go on and
/// collect every problem before failing. Every request is recorded in order (<see cref="Requests"/>), so building a
/// network against an empty store lists its parameters — names and shapes — without allocating them.
/// </summary>
public sealed class WeightCursor
{
    readonly Session _session;

    public WeightCursor(IWeightStore store, string componentName)
    {
        _session = new Session(store, componentName);
        Prefix = "";
    }

    WeightCursor(Session session, string prefix)
    {
        _session = session;
        Prefix = prefix;
    }

    /// <summary>Every key requested so far through this cursor's session, with the expected shape, in request order.</summary>
    public IReadOnlyList<WeightRequest> Requests => _session.Requests;

    /// <summary>The dotted key prefix of this cursor, e.g. "down_blocks.0.".</summary>
    public string Prefix { get; }

    public WeightCursor Push(string name) => new(_session, Prefix + name + ".");
    public WeightCursor Push(int index) => Push(index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public bool Contains(string name) => _session.Store.TryGet(Prefix + name, out var t, out _) && Dispose(t);

    static bool Dispose(Tensor t) { t.Dispose(); return true; }

    /// <summary>The tensor <c>Prefix + name</c>, which must have <paramref name="shape"/>.</summary>
    public Tensor Get(string name, params int[] shape)
    {
        var key = Prefix + name;
        if (_session.Requested.Add(key)) _session.Requests.Add(new WeightRequest(key, (int[])shape.Clone()));
        if (!_session.Store.TryGet(key, out var tensor, out var source))
        {
            _session.Missing.Add($"{key} (expected {ShapeUtil.Format(shape)})");
            return Placeholder(shape);
        }
        if (!tensor.Shape.SequenceEqual(shape))
        {
            _session.Misshaped.Add($"{key}: expected {ShapeUtil.Format(shape)}, found {tensor.ShapeString} in {source}");
            tensor.Dispose();
            return Placeholder(shape);
        }
        return tensor;
    }

    /// <summary>A zero tensor of <paramref name="shape"/> that occupies one element (a broadcast view): cheap even at full model size.</summary>
    static Tensor Placeholder(int[] shape)
    {
        using var one = Tensor.Zeros(shape.Select(_ => 1).ToArray());
        return one.Expand(shape);
    }

    /// <summary>The tensor <c>Prefix + name</c> if present (e.g. an optional bias), else null.</summary>
    public Tensor? GetOptional(string name, params int[] shape)
    {
        if (!_session.Store.TryGet(Prefix + name, out var probe, out _)) return null;
        probe.Dispose();
        return Get(name, shape);
    }

    /// <summary>Marks keys under this prefix as deliberately unused (e.g. a pooler the reference never calls).</summary>
    public void Ignore(string name) => _session.Ignored.Add(Prefix + name);

    /// <summary>
    /// Builds a network with <paramref name="create"/> from a fresh cursor over <paramref name="store"/>, then
    /// <see cref="Finish"/>es: the network is returned only when every key was used and well-shaped, and disposed otherwise.
    /// </summary>
    public static T Build<T>(IWeightStore store, string component, Func<WeightCursor, T> create) where T : IDisposable
    {
        var cursor = new WeightCursor(store, component);
        var model = create(cursor);
        try { cursor.Finish(); }
        catch { model.Dispose(); throw; }
        return model;
    }

    /// <summary>Throws <see cref="WeightLoadException"/> listing every missing, unused and mis-shaped key.</summary>
    public void Finish()
    {
        var unused = _session.Store.Keys
            .Where(k => !_session.Requested.Contains(k) && !_session.Ignored.Any(i => k == i || k.StartsWith(i + ".", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal).ToList();
        if (_session.Missing.Count == 0 && unused.Count == 0 && _session.Misshaped.Count == 0) return;
        var checkpoint = _session.Store is SafetensorsWeightStore file ? " " + file.Source : "";
        var sb = new StringBuilder($"Weights of {_session.Component} do not match the checkpoint{checkpoint}:");
        void Section(string title, List<string> items, Func<string, string>? describe = null)
        {
            if (items.Count == 0) return;
            sb.Append($"\n  {title} ({items.Count}):");
            foreach (var i in items) sb.Append("\n    ").Append(describe == null ? i : describe(i));
        }
        Section("missing", _session.Missing);
        Section("unused", unused, DescribeStored);
        Section("mis-shaped", _session.Misshaped);
        throw new WeightLoadException(sb.ToString(), _session.Missing, unused, _session.Misshaped);
    }

    /// <summary>An unused key with its stored shape and dtype (and its shard, for a sharded checkpoint).</summary>
    string DescribeStored(string key)
    {
        if (_session.Store is not SafetensorsWeightStore store) return key;
        var info = store.Info(key);
        var shard = store.Files.Count > 1 ? $" in {Path.GetFileName(store.FileOf(key).Path)}" : "";
        return $"{key} ({info.DType.HeaderName()} {info.ShapeString}{shard})";
    }

    sealed class Session(IWeightStore store, string component)
    {
        public IWeightStore Store { get; } = store;
        public string Component { get; } = component;
        public HashSet<string> Requested { get; } = new(StringComparer.Ordinal);
        public List<WeightRequest> Requests { get; } = [];
        public HashSet<string> Ignored { get; } = new(StringComparer.Ordinal);
        public List<string> Missing { get; } = [];
        public List<string> Misshaped { get; } = [];
    }
}
