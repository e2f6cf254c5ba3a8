using Acclimate.Evaluation;

namespace Acclimate.Tests.Evaluation;

public sealed class MetricsTableTests
{
    [Fact]
    public void SeqevalTable()
    {
        string[][] gold = [["B-PER", "I-PER", "O", "B-疾病"]];
        string[][] pred = [["B-PER", "I-PER", "O", "O"]];
        var text = MetricsTable.Format(Seqeval.Evaluate(gold, pred), digits: 2);
        var expected = string.Join("\n",
            "                precision    recall  f1-score   support",
            "",
            "           PER       1.00      1.00      1.00         1",
            "          疾病       0.00      0.00      0.00         1",
            "",
            "     micro avg       1.00      0.50      0.67         2",
            "     macro avg       0.50      0.50      0.50         2",
            "  weighted avg       0.50      0.50      0.50         2",
            "",
            "token accuracy                           0.75",
            "");
        Assert.Equal(expected, text);
    }

    [Fact]
    public void SeqevalTableShowsNanMacro()
    {
        string[][] none = [["O"]];
        Assert.Contains("     macro avg        nan       nan       nan         0", MetricsTable.Format(Seqeval.Evaluate(none, none)));
    }

    [Fact]
    public void ClassificationTable()
    {
        var text = MetricsTable.Format(ClassificationMetrics.Compute(["a", "a", "b", "b", "c"], ["a", "b", "b", "b", "a"]), digits: 2);
        var expected = string.Join("\n",
            "              precision    recall  f1-score   support",
            "",
            "           a       0.50      0.50      0.50         2",
            "           b       0.67      1.00      0.80         2",
            "           c       0.00      0.00      0.00         1",
            "",
            "    accuracy                           0.60         5",
            "   macro avg       0.39      0.50      0.43         5",
            "weighted avg       0.47      0.60      0.52         5",
            "");
        Assert.Equal(expected, text);
    }
}
