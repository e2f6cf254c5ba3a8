namespace Acclimate.Evaluation;

/// <summary>
/// One line of a classification report: precision, recall and F1 of an entity type, a class, or an
/// average, and the support (number of gold items the line covers).
/// </summary>
/// <param name="Name">Type or class name, or <c>micro avg</c>, <c>macro avg</c>, <c>weighted avg</c>.</param>
/// <param name="Precision">Correct / predicted; 0 when nothing was predicted.</param>
/// <param name="Recall">Correct / gold; 0 when there is no gold item.</param>
/// <param name="F1">2PR/(P+R) from the divided P and R; 0 when P+R is 0. NaN only in a macro average over nothing.</param>
/// <param name="Support">Number of gold items.</param>
public sealed record ScoreRow(string Name, double Precision, double Recall, double F1, int Support);
