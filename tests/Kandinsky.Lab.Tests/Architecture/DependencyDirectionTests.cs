using System.Reflection;
using System.Reflection.Emit;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;

namespace Kandinsky.Lab.Tests.Architecture;

/// <summary>
/// The library's layers point one way (Tokenizers, Models, Schedulers ← Pipeline ← Analysis ← Visuals ← Formatting):
/// every type of a layer is checked — its base types, interfaces, attributes, fields, properties, method
/// signatures and every member its method bodies (lambdas and iterators included) touch — for a type of a layer
/// above it.
/// </summary>
public class DependencyDirectionTests
{
    const string Root = "Kandinsky.Lab.";
    static readonly Assembly Lab = typeof(KandinskyLab).Assembly;

    /// <summary>The result types name their formatter source by convention; that attribute is the one allowed upward reference.</summary>
    static readonly Type[] Convention = [typeof(TypeFormatterSourceAttribute), typeof(LabFormatterSource)];

    public static TheoryData<string, string> Rules => new()
    {
        { "Pipeline", "Visuals" }, { "Pipeline", "Analysis" }, { "Pipeline", "Formatting" }, { "Pipeline", "Parity" },
        { "Models", "Pipeline" }, { "Models", "Analysis" }, { "Models", "Visuals" }, { "Models", "Formatting" },
        { "Schedulers", "Pipeline" }, { "Schedulers", "Analysis" }, { "Schedulers", "Visuals" },
        { "Tokenizers", "Pipeline" }, { "Tokenizers", "Analysis" }, { "Tokenizers", "Visuals" },
        { "Analysis", "Visuals" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void LayerNeverNamesTheLayerAbove(string layer, string above)
    {
        var types = Lab.GetTypes().Where(t => InLayer(t, layer)).ToList();
        Assert.NotEmpty(types);
        var offences = types.SelectMany(t => References(t).Where(r => InLayer(r, above) && !Convention.Contains(r)).Select(r => $"{t.FullName} → {r.FullName}"))
            .Distinct().Order().ToList();
        Assert.True(offences.Count == 0, $"{layer} names {above}:\n  " + string.Join("\n  ", offences));
    }

    [Fact]
    public void TheCheckSeesMethodBodies()
    {
        // LabFormatting renders the pipeline's results with the views: the scan must find that through its bodies.
        var references = References(typeof(LabFormatting)).ToList();
        Assert.Contains(references, r => InLayer(r, "Visuals"));
        Assert.Contains(references, r => r == typeof(PriorTrajectory));
    }

    static bool InLayer(Type t, string layer) =>
        t.Namespace is string ns && (ns == Root + layer || ns.StartsWith(Root + layer + ".", StringComparison.Ordinal));

    static IEnumerable<Type> References(Type type)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new List<Type>();
        if (type.BaseType != null) found.Add(type.BaseType);
        found.AddRange(type.GetInterfaces());
        found.AddRange(type.GetCustomAttributesData().Select(a => a.AttributeType));
        found.AddRange(type.GetCustomAttributesData().SelectMany(a => a.ConstructorArguments).Select(a => a.Value).OfType<Type>());
        found.AddRange(type.GetFields(All).Select(f => f.FieldType));
        found.AddRange(type.GetProperties(All).Select(p => p.PropertyType));
        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (method is MethodInfo mi) found.Add(mi.ReturnType);
            found.AddRange(method.GetParameters().Select(p => p.ParameterType));
            found.AddRange(BodyReferences(method));
        }
        foreach (var nested in type.GetNestedTypes(All)) found.AddRange(References(nested));
        return found.SelectMany(Expand).Distinct();
    }

    /// <summary>A type with its element and generic argument types.</summary>
    static IEnumerable<Type> Expand(Type t)
    {
        if (t.HasElementType) return Expand(t.GetElementType()!);
        if (t.IsGenericType) return t.GetGenericArguments().SelectMany(Expand).Append(t.GetGenericTypeDefinition());
        return [t];
    }

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The declaring and operand types of every method, field and type token in the method's IL.</summary>
    static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il == null) yield break;
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var member = method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                    if (member is Type t) yield return t;
                    else if (member?.DeclaringType != null) yield return member.DeclaringType;
                    if (member is FieldInfo f) yield return f.FieldType;
                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + 4 * BitConverter.ToInt32(il, i);
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineNone:
                    break;
                default:
                    i += 4;
                    break;
            }
        }
    }
}
