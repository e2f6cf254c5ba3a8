using System.Text.Json.Nodes;
using Acclimate.Data.Tagging;

namespace Acclimate.Evaluation;

/// <summary>One line of a seqeval cases file (see <see cref="SeqevalCaseFile"/>).</summary>
/// <param name="Line">1-based line number in the file.</param>
/// <param name="Json">The whole line as read; other fields are carried through untouched.</param>
/// <param name="YTrue">Gold tags per sentence (<c>y_true</c>).</param>
/// <param name="YPred">Predicted tags per sentence (<c>y_pred</c>).</param>
/// <param name="Mode"><c>mode</c>: default or strict.</param>
/// <param name="Scheme"><c>scheme</c> for strict mode; null in default mode.</param>
public sealed record SeqevalCase(int Line, JsonObject Json, string[][] YTrue, string[][] YPred, SeqevalMode Mode, TaggingScheme? Scheme)
{
    /// <summary>The <c>id</c> field when it is a string, for messages.</summary>
    public string? Id => Json["id"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : null;
}
