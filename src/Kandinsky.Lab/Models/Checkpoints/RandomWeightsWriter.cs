using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Checkpoints;

/// <summary>
/// Writes a safetensors file of random weights for a <see cref="ParameterSpec"/>, streaming: the header first, then
/// each tensor generated chunk by chunk, so a multi-gigabyte checkpoint needs only a few megabytes of memory.
/// Values depend only on (seed, key, element index) — never on thread count or chunk size.
/// <list type="bullet">
/// <item>matrices and conv kernels (<c>*.weight</c>, rank ≥ 2): N(0, 1) / √fan_in, fan_in = ∏ shape[1..]</item>
/// <item>norm scales (rank-1 <c>*.weight</c>) and <c>clip_std</c>: 1 + 0.02·N</item>
/// <item>biases and <c>clip_mean</c>: 0.02·N</item>
/// <item>lookup tables and learned embeddings (token/position/class/prd embeddings, the VQ codebook): N(0, 1)</item>
/// </list>
/// (The streaming counterpart of <see cref="SafetensorsWriter"/>, which holds every tensor in memory; the header
/// layout is the same.)
/// </summary>
public static class RandomWeightsWriter
{
    const int ChunkElements = 1 << 16;

    /// <summary>Writes <paramref name="spec"/> as <paramref name="dtype"/> (F32, F16 or BF16) random weights to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<WeightRequest> spec, DType dtype, ulong seed)
    {
        var ordered = spec.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        var header = Header(ordered, dtype);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        var values = new float[ChunkElements * Math.Max(1, Parallelism.Threads)];
        var bytes = new byte[values.Length * dtype.Size()];
        foreach (var request in ordered)
        {
            var init = Init.For(request.Key, request.Shape);
            ulong keySeed = Mix(seed ^ Fnv1a(request.Key));
            long count = ShapeUtil.Count(request.Shape);
            for (long start = 0; start < count; start += values.Length)
            {
                int n = (int)Math.Min(values.Length, count - start);
                int chunks = (n + ChunkElements - 1) / ChunkElements;
                long firstChunk = start / ChunkElements;
                Parallelism.For(chunks, c =>
                {
                    int offset = c * ChunkElements, len = Math.Min(ChunkElements, n - offset);
                    Fill(values.AsSpan(offset, len), Mix(keySeed + (ulong)(firstChunk + c)), init);
                });
                int byteCount = n * dtype.Size();
                Encode(values.AsSpan(0, n), bytes.AsSpan(0, byteCount), dtype);
                stream.Write(bytes, 0, byteCount);
            }
        }
    }

    /// <summary>Mean and standard deviation of one tensor's values.</summary>
    internal readonly record struct Init(float Mean, float Std)
    {
        static readonly string[] Embeddings =
            ["token_embedding", "position_embedding", "word_embeddings", "position_embeddings", "token_type_embeddings",
             "class_embedding", "positional_embedding", "prd_embedding", "quantize.embedding"];

        public static Init For(string key, int[] shape)
        {
            string owner = key.EndsWith(".weight", StringComparison.Ordinal) ? key[..^".weight".Length] : key;
            if (Embeddings.Any(e => owner.EndsWith(e, StringComparison.Ordinal))) return new(0, 1);
            if (key.EndsWith("clip_std", StringComparison.Ordinal)) return new(1, 0.02f);
            if (key.EndsWith("clip_mean", StringComparison.Ordinal) || key.EndsWith(".bias", StringComparison.Ordinal)) return new(0, 0.02f);
            if (shape.Length == 1) return new(1, 0.02f);                                  // norm scale
            long fanIn = ShapeUtil.Count(shape.AsSpan(1));
            return new(0, 1f / MathF.Sqrt(Math.Max(1, fanIn)));
        }
    }

    /// <summary>Box-Muller pairs from 24-bit uniforms, vectorised: r = √(-2 ln u1) (u1 in (0, 1]), θ = 2π u2.</summary>
    static void Fill(Span<float> dst, ulong state, Init init)
    {
        int pairs = (dst.Length + 1) / 2;
        var radius = new float[pairs];
        var angle = new float[pairs];
        var cos = new float[pairs];
        const float Unit = 1f / (1 << 24);
        for (int i = 0; i < pairs; i++)
        {
            ulong bits = Next(ref state);
            radius[i] = ((bits >> 40) + 1) * Unit;
            angle[i] = ((bits >> 16) & 0xFFFFFF) * Unit;
        }
        TensorPrimitives.Log(radius, radius);
        TensorPrimitives.Multiply(radius, -2f, radius);
        TensorPrimitives.Sqrt(radius, radius);
        TensorPrimitives.Multiply(angle, 2 * MathF.PI, angle);
        TensorPrimitives.Cos(angle, cos);
        TensorPrimitives.Sin(angle, angle);
        TensorPrimitives.Multiply(cos, radius, cos);
        TensorPrimitives.Multiply(angle, radius, angle);
        for (int i = 0; i < pairs; i++)
        {
            dst[2 * i] = init.Mean + init.Std * cos[i];
            if (2 * i + 1 < dst.Length) dst[2 * i + 1] = init.Mean + init.Std * angle[i];
        }
    }

    static void Encode(ReadOnlySpan<float> values, Span<byte> bytes, DType dtype)
    {
        switch (dtype)
        {
            case DType.F32: MemoryMarshal.AsBytes(values).CopyTo(bytes); break;
            case DType.F16: TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<byte, Half>(bytes)); break;
            default:
                var dst = MemoryMarshal.Cast<byte, ushort>(bytes);
                for (int i = 0; i < values.Length; i++) dst[i] = BFloat16.FromSingle(values[i]);
                break;
        }
    }

    static byte[] Header(List<WeightRequest> ordered, DType dtype)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("format", "pt");
            json.WriteEndObject();
            long offset = 0;
            foreach (var r in ordered)
            {
                long end = offset + ShapeUtil.Count(r.Shape) * dtype.Size();
                json.WriteStartObject(r.Key);
                json.WriteString("dtype", dtype.ToSafetensors().HeaderName());
                json.WriteStartArray("shape");
                foreach (var d in r.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        int padded = (int)(buffer.Length + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.ToArray().CopyTo(header, 0);
        header.AsSpan((int)buffer.Length).Fill((byte)' ');
        return header;
    }

    static ulong Fnv1a(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(s)) { h ^= b; h *= 1099511628211UL; }
        return h;
    }

    /// <summary>SplitMix64 finaliser: decorrelates nearby seeds.</summary>
    static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>SplitMix64 step.</summary>
    static ulong Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
