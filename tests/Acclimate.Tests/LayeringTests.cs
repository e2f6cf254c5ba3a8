using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Acclimate.Tests;

/// <summary>
/// The library's layers point one way (the diagram at the top of docs/architecture.md, which
/// the Layers list below spells out): a namespace may use its own layer and the layers below
/// it, never one above. Every reference is read from the compiled IL (signatures,
/// fields, base types, and the types and members method bodies use), so a `using` that is not
/// needed does not count and a fully qualified name does.
/// </summary>
public sealed class LayeringTests
{
    // Bottom to top; the top-level folder under Acclimate.* decides the layer.
    private static readonly string[][] Layers =
    {
        // Reporting renders tables, Markdown/HTML and PNG plots from plain values: every layer may write a report.
        new[] { "Errors", "Runtime", "IO", "Reporting" },
        new[] { "Checkpoints", "Models", "Tokenization" },
        new[] { "Data" },
        new[] { "Training", "Evaluation" },
        // The methods, finer: forgetting mathematics, then pretraining runs (whose forgetting controls use
        // it), then the rest as peers. Those four cannot be ordered yet: Adaptation uses Encoders
        // (selection embeds with SentenceEmbedder), Encoders uses FineTuning (ONNX export of task
        // models), FineTuning uses Adaptation (the DANN/MMD options and losses) — a cycle.
        new[] { "Continual" },
        new[] { "Pretraining" },
        new[] { "FineTuning", "Encoders", "Experiments", "Adaptation" },
    };

    [Fact]
    public void NoLayerUsesALayerAboveIt()
    {
        var found = UpwardReferences().Select(r => $"{r.From} -> {r.To}").Distinct().Order().ToList();
        Assert.True(found.Count == 0, "upward references (a lower layer using a higher one): " + string.Join("; ", found.Select(Describe)));
    }

    [Fact]
    public void TheMethodLayersAreOrderedToo()
    {
        // The top layer is split so that edges among the methods are checked: Pretraining's forgetting
        // controls use Continual's penalties, an edge the scan must see and that must point down (a use
        // of Pretraining from Continual is then an upward reference, caught by the test above).
        var edges = References().Select(r => (From: Area(r.FromType), To: Area(r.ToType))).Distinct().ToList();
        Assert.Contains(("Pretraining", "Continual"), edges);
        Assert.True(LayerOf("Pretraining") > LayerOf("Continual"));
        Assert.True(LayerOf("Adaptation") > LayerOf("Pretraining"));   // augmentation draws from Pretraining.RandomStreams
    }

    [Fact]
    public void TheCheckFindsAReferenceInAMethodBody()
    {
        // TorchRuntime (Runtime, the bottom layer) names ConfigException (Errors, same layer) inside a
        // method body only: the scan must see body references, or it would miss most of them.
        var edges = References().Where(r => r.FromType == "Acclimate.Runtime.TorchRuntime").Select(r => r.ToType).ToHashSet();
        Assert.Contains("Acclimate.Errors.ConfigException", edges);
    }

    [Fact]
    public void TheLibraryStaysFreeOfAspNetAndTheServerSitsBelowTheCli()
    {
        // Assemblies, bottom to top: Acclimate (library) < Acclimate.Serving (HTTP, ASP.NET Core) < Acclimate.Cli.
        static string[] ReferencesOf(Type t)
        {
            using var module = ModuleDefinition.ReadModule(t.Assembly.Location);
            return module.AssemblyReferences.Select(r => r.Name).ToArray();
        }
        var library = ReferencesOf(typeof(Acclimate.Runtime.TorchRuntime));
        Assert.DoesNotContain(library, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || r.StartsWith("Acclimate.", StringComparison.Ordinal));
        var serving = ReferencesOf(typeof(Acclimate.Serving.ModelServer));
        Assert.Contains("Acclimate", serving);
        Assert.Contains(serving, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain("Acclimate.Cli", serving);
    }

    [Fact]
    public void OnnxRuntimeIsItsOwnAssemblyBetweenTheLibraryAndTheServer()
    {
        // Acclimate (library) < Acclimate.OnnxRuntime (the ORT inference backend) < Acclimate.Serving, Acclimate.Cli:
        // the library carries no ONNX Runtime; the backend knows nothing of HTTP or the CLI.
        static string[] ReferencesOf(Type t)
        {
            using var module = ModuleDefinition.ReadModule(t.Assembly.Location);
            return module.AssemblyReferences.Select(r => r.Name).ToArray();
        }
        Assert.DoesNotContain(ReferencesOf(typeof(Acclimate.Runtime.TorchRuntime)), r => r.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal));
        var backend = ReferencesOf(typeof(Acclimate.OnnxRuntime.InferenceModels));
        Assert.Contains("Acclimate", backend);
        Assert.Contains("Microsoft.ML.OnnxRuntime", backend);
        Assert.DoesNotContain(backend, r => r is "Acclimate.Serving" or "Acclimate.Cli" || r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains("Acclimate.OnnxRuntime", ReferencesOf(typeof(Acclimate.Serving.ModelServer)));
    }

    private static string Describe(string edge) =>
        edge + " (" + string.Join(", ", UpwardReferences().Where(r => $"{r.From} -> {r.To}" == edge).Select(r => $"{r.FromType} uses {r.ToType}").Distinct().Take(3)) + ")";

    private static int LayerOf(string area) => Array.FindIndex(Layers, l => l.Contains(area));

    private static IEnumerable<(string From, string To, string FromType, string ToType)> UpwardReferences() =>
        References().Select(r => (From: Area(r.FromType), To: Area(r.ToType), r.FromType, r.ToType))
            .Where(r => r.From is not null && r.To is not null && r.From != r.To)
            .Where(r => LayerOf(r.From!) is var a && LayerOf(r.To!) is var b && a >= 0 && b >= 0 && b > a)
            .Select(r => (r.From!, r.To!, r.FromType, r.ToType));

    /// <summary>Acclimate.&lt;Area&gt;.… → Area; null outside the library's areas.</summary>
    private static string? Area(string fullName)
    {
        var parts = fullName.Split('.');
        return parts.Length > 2 && parts[0] == "Acclimate" && Layers.Any(l => l.Contains(parts[1])) ? parts[1] : null;
    }

    private static readonly Lazy<List<(string FromType, string ToType)>> Cache = new(Scan);

    private static List<(string FromType, string ToType)> References() => Cache.Value;

    private static List<(string, string)> Scan()
    {
        var path = typeof(Acclimate.Runtime.TorchRuntime).Assembly.Location;
        using var module = ModuleDefinition.ReadModule(path);
        var result = new List<(string, string)>();
        foreach (var type in module.GetTypes())
        {
            var from = Outermost(type).FullName;
            void Add(TypeReference? t)
            {
                while (t is TypeSpecification spec) t = spec.ElementType;
                if (t is null || t is GenericParameter) return;
                if (t.Scope is ModuleDefinition or null || t.Module == module && t.Scope.MetadataScopeType == MetadataScopeType.ModuleDefinition)
                    result.Add((from, Outermost(t).FullName));
            }
            Add(type.BaseType);
            foreach (var i in type.Interfaces) Add(i.InterfaceType);
            foreach (var f in type.Fields) Add(f.FieldType);
            foreach (var p in type.Properties) Add(p.PropertyType);
            foreach (var m in type.Methods)
            {
                Add(m.ReturnType);
                foreach (var p in m.Parameters) Add(p.ParameterType);
                if (!m.HasBody) continue;
                foreach (var v in m.Body.Variables) Add(v.VariableType);
                foreach (var instruction in m.Body.Instructions)
                    switch (instruction.Operand)
                    {
                        case TypeReference t: Add(t); break;
                        case MemberReference member: Add(member.DeclaringType); break;
                    }
            }
        }
        return result;
    }

    private static TypeReference Outermost(TypeReference t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t;
    }
}
