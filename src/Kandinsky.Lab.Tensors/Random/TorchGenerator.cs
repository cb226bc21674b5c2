namespace Kandinsky.Lab.Tensors;

/// <summary>
/// Reproduces PyTorch's CPU generator: <c>torch.Generator().manual_seed(seed)</c> followed by
/// <c>torch.randn(shape)</c> / <c>torch.rand(shape)</c> in float32, draw after draw — the way diffusers'
/// <c>randn_tensor</c> makes initial latents, so a seed gives the same starting noise as the Python reference.
/// Follows ATen's <c>CPUGeneratorImpl</c> (MT19937 seeded with the low 32 bits), <c>uniform_real_distribution</c>
/// (24 random bits for float, 53 for double), <c>normal_fill_AVX2</c> (Box–Muller over blocks of 16 for tensors of
/// at least 16 elements, with the Cephes float log/sincos of <see cref="CephesFloat"/>) and
/// <c>normal_distribution&lt;double&gt;</c> (the scalar path, which caches its second value).
/// Every draw recorded from PyTorch in tests/fixtures/rng is reproduced bit for bit.
/// </summary>
public sealed class TorchGenerator
{
    readonly Mt19937 _engine = new();
    double? _nextDoubleNormal;

    public TorchGenerator(ulong seed) => ManualSeed(seed);

    public ulong Seed { get; private set; }

    /// <summary>Restarts the stream as <c>manual_seed(seed)</c> does (also dropping the cached normal value).</summary>
    public void ManualSeed(ulong seed)
    {
        Seed = seed;
        _engine.Seed((uint)seed);
        _nextDoubleNormal = null;
    }

    /// <summary>32 random bits (<c>CPUGeneratorImpl::random</c>).</summary>
    public uint NextUInt32() => _engine.Next();

    /// <summary>64 random bits: the first 32-bit draw is the high half (<c>CPUGeneratorImpl::random64</c>).</summary>
    public ulong NextUInt64()
    {
        ulong hi = _engine.Next();
        ulong lo = _engine.Next();
        return hi << 32 | lo;
    }

    /// <summary>A float uniform in [0, 1): the low 24 bits of one 32-bit draw, scaled by 2^-24.</summary>
    public float NextFloat() => (NextUInt32() & 0xFFFFFF) * (1f / (1 << 24));

    /// <summary>A double uniform in [0, 1): the low 53 bits of one 64-bit draw, scaled by 2^-53.</summary>
    public double NextDouble() => (NextUInt64() & ((1UL << 53) - 1)) * (1.0 / (1UL << 53));

    /// <summary><c>torch.randn(shape, generator=g)</c> in float32.</summary>
    public Tensor Randn(params int[] shape)
    {
        var t = Tensor.Empty(shape);
        FillNormal(t.AsSpan());
        return t;
    }

    /// <summary><c>torch.rand(shape, generator=g)</c> in float32.</summary>
    public Tensor Rand(params int[] shape)
    {
        var t = Tensor.Empty(shape);
        FillUniform(t.AsSpan());
        return t;
    }

    public void FillUniform(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = NextFloat();
    }

    /// <summary>Standard normal values, drawn exactly as <c>normal_kernel</c> draws a contiguous float tensor of this length.</summary>
    public void FillNormal(Span<float> values)
    {
        int n = values.Length;
        if (n < 16)
        {
            for (int i = 0; i < n; i++) values[i] = (float)NextDoubleNormal();
            return;
        }
        FillUniform(values);
        for (int i = 0; i + 16 <= n; i += 16) BoxMuller16(values.Slice(i, 16));
        if (n % 16 != 0)
        {
            // PyTorch redraws the last 16 uniforms (overlapping the previous block) and transforms them again.
            var tail = values[^16..];
            FillUniform(tail);
            BoxMuller16(tail);
        }
    }

    /// <summary>2π rounded to float once, as the AVX2 kernel broadcasts it (θ = 2π·u is then a float product).</summary>
    const float TwoPi = (float)(2.0 * Math.PI);

    /// <summary>Box–Muller over 16 uniforms: pairs (j, j+8) give the cosine value at j and the sine value at j+8.</summary>
    static void BoxMuller16(Span<float> block)
    {
        for (int j = 0; j < 8; j++)
        {
            float u1 = 1 - block[j]; // [0, 1) → (0, 1] for the log
            float u2 = block[j + 8];
            float radius = MathF.Sqrt(-2 * CephesFloat.Log(u1));
            float theta = TwoPi * u2;
            var (sin, cos) = CephesFloat.SinCos(theta);
            block[j] = radius * cos;
            block[j + 8] = radius * sin;
        }
    }

    /// <summary><c>normal_distribution&lt;double&gt;</c>: one Box–Muller pair in double, the sine half cached for the next call.</summary>
    double NextDoubleNormal()
    {
        if (_nextDoubleNormal is { } cached)
        {
            _nextDoubleNormal = null;
            return cached;
        }
        double u1 = NextDouble();
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        _nextDoubleNormal = r * Math.Sin(theta);
        return r * Math.Cos(theta);
    }

    /// <summary>The 32-bit Mersenne Twister (Matsumoto &amp; Nishimura 1998) as ATen's <c>mt19937</c> seeds and steps it.</summary>
    sealed class Mt19937
    {
        const int N = 624, M = 397;
        const uint MatrixA = 0x9908B0DF, UpperMask = 0x80000000, LowerMask = 0x7FFFFFFF;
        readonly uint[] _state = new uint[N];
        int _index;

        public void Seed(uint seed)
        {
            _state[0] = seed;
            for (uint j = 1; j < N; j++)
                _state[j] = 1812433253u * (_state[j - 1] ^ (_state[j - 1] >> 30)) + j;
            _index = N;
        }

        public uint Next()
        {
            if (_index >= N) Twist();
            uint y = _state[_index++];
            y ^= y >> 11;
            y ^= (y << 7) & 0x9D2C5680;
            y ^= (y << 15) & 0xEFC60000;
            y ^= y >> 18;
            return y;
        }

        void Twist()
        {
            for (int i = 0; i < N; i++)
            {
                uint y = (_state[i] & UpperMask) | (_state[(i + 1) % N] & LowerMask);
                _state[i] = _state[(i + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0);
            }
            _index = 0;
        }
    }
}
