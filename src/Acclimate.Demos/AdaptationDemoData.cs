using System.Text;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.IO;

namespace Acclimate.Demos;

/// <summary>
/// The real-encoder demo's files. General text: Brown (the demo's usual document split; all 15
/// genres' training documents are general text here, held-out documents score perplexity).
/// Task: NCBI-disease NER — the first <c>finetune_sentences</c> training sentences train the tagger,
/// dev and test unchanged. Domain text (unlabeled): the remaining training sentences with their
/// labels dropped, one per line, the last <c>domain_eval_sentences</c> held out; or, when
/// <c>data.domain_text</c> names a corpus, that corpus split the same way (last lines held out).
/// Test sentences are never domain text.
/// </summary>
public sealed record AdaptationDemoData(
    string Folder, DemoData Brown,
    string TaskTrain, string TaskDev, string TaskTest,
    string DomainTrain, string DomainEval, string DomainSource,
    int TaskTrainSentences, int TaskDevSentences, int TaskTestSentences,
    int DomainTrainDocuments, int DomainEvalDocuments, long DomainTrainWords)
{
    public static AdaptationDemoData Prepare(DemoData brown, string ncbiFolder, string folder, AdaptationDemoDataOptions settings)
    {
        Directory.CreateDirectory(folder);
        var files = new[] { "train.conll", "dev.conll", "test.conll" }.Select(f => Path.Combine(ncbiFolder, f)).ToArray();
        foreach (var f in files)
            if (!File.Exists(f))
                throw new ConfigException($"{f}: not found. The demo needs NCBI-disease as CoNLL (train.conll, dev.conll, test.conll); " +
                                          "a checkout has it in data/ncbi-disease — pass --data DIR (or data.ncbi in the recipe) when it lives elsewhere.");
        var train = ConllReader.Read(files[0]).ToList();
        if (train.Count < settings.FinetuneSentences + settings.DomainEvalSentences + 16 && settings.DomainText.Length == 0)
            throw new ConfigException($"{files[0]}: {train.Count} sentences; data.finetune_sentences ({settings.FinetuneSentences}) plus data.domain_eval_sentences " +
                                      $"({settings.DomainEvalSentences}) leave too little domain text.");
        if (train.Count < settings.FinetuneSentences)
            throw new ConfigException($"{files[0]}: {train.Count} sentences, fewer than data.finetune_sentences ({settings.FinetuneSentences}).");

        var taskTrain = Path.Combine(folder, "ncbi-train.conll");
        WriteConll(taskTrain, train.Take(settings.FinetuneSentences));
        var dev = Path.Combine(folder, "ncbi-dev.conll");
        var test = Path.Combine(folder, "ncbi-test.conll");
        AtomicFile.Copy(files[1], dev);
        AtomicFile.Copy(files[2], test);

        IReadOnlyList<string> domain;
        string source;
        if (settings.DomainText.Length > 0)
        {
            if (!File.Exists(settings.DomainText)) throw new ConfigException($"{settings.DomainText}: data.domain_text not found (a one-document-per-line corpus).");
            domain = File.ReadLines(settings.DomainText).Where(l => l.Trim().Length > 0).ToList();
            if (domain.Count < settings.DomainEvalSentences + 16)
                throw new ConfigException($"{settings.DomainText}: {domain.Count} documents; data.domain_eval_sentences ({settings.DomainEvalSentences}) leaves too few to train on.");
            source = settings.DomainText;
        }
        else
        {
            domain = train.Skip(settings.FinetuneSentences).Select(s => string.Join(' ', s.Words)).ToList();
            source = $"{files[0]}, sentences {settings.FinetuneSentences + 1:N0}–{train.Count:N0} (labels dropped)";
        }
        var cut = domain.Count - settings.DomainEvalSentences;
        var domainTrain = Path.Combine(folder, "domain-train.txt");
        var domainEval = Path.Combine(folder, "domain-eval.txt");
        AtomicFile.WriteText(domainTrain, w => { foreach (var line in domain.Take(cut)) w.WriteLine(line); });
        AtomicFile.WriteText(domainEval, w => { foreach (var line in domain.Skip(cut)) w.WriteLine(line); });
        return new AdaptationDemoData(folder, brown, taskTrain, dev, test, domainTrain, domainEval, source,
            settings.FinetuneSentences, ConllReader.Read(dev).Count(), ConllReader.Read(test).Count(),
            cut, settings.DomainEvalSentences, domain.Take(cut).Sum(l => (long)l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length));
    }

    private static void WriteConll(string path, IEnumerable<TaggedSentence> sentences) =>
        AtomicFile.WriteText(path, w =>
        {
            foreach (var s in sentences)
            {
                for (var i = 0; i < s.Words.Count; i++) w.WriteLine($"{s.Words[i]}\t{s.Tags[i]}");
                w.WriteLine();
            }
        });
}
