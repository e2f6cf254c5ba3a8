using System.Text.Json.Nodes;
using Acclimate.Adaptation.Augmentation;
using Acclimate.Data.Datasets;
using Acclimate.Data.Tagging;
using Acclimate.Errors;

namespace Acclimate.Tests.Adaptation.Augmentation;

/// <summary>Each input format read, augmented and written back in the same format, through <see cref="AugmentationJob"/>.</summary>
public sealed class AugmentationDatasetTests
{
    private static readonly string WordNet = TestPaths.Fixture("wordnet", "dict");

    [Fact]
    public void ConllInBioesComesBackInBioesWithEveryMentionKept()
    {
        using var temp = TestPaths.NewTempFolder();
        var input = temp.File("train.conll");
        File.WriteAllText(input, "-DOCSTART-\tO\n\nJohn\tB-PER\nSmith\tE-PER\ndrove\tO\nthe\tO\ncar\tO\nto\tO\nParis\tS-LOC\n.\tO\n\n" +
                                 "The\tO\ndoctor\tO\nvisited\tO\nRome\tS-LOC\nquickly\tO\n.\tO\n");
        var summary = AugmentationJob.Run(new AugmentationJobOptions
        {
            Input = input, Output = temp.File("out.conll"), Method = "eda", Scheme = TaggingScheme.IOBES, WordNetFolder = WordNet,
            Augmentation = new AugmentationOptions { Copies = 4, Seed = 3 }, Alpha = 0.3,
        });
        Assert.Equal(2, summary.Examples);
        Assert.Equal(10, summary.Written);
        Assert.Equal(8, summary.Copies);
        var output = ConllReader.Read(temp.File("out.conll")).ToList();
        Assert.Equal(10, output.Count);
        Assert.Equal(new[] { "John", "Smith", "drove", "the", "car", "to", "Paris", "." }, output[0].Words);
        Assert.Equal(new[] { "B-PER", "E-PER", "O", "O", "O", "O", "S-LOC", "O" }, output[0].Tags);
        foreach (var (s, expected) in output.Take(5).Select(s => (s, new[] { "PER:John Smith", "LOC:Paris" }))
                     .Concat(output.Skip(5).Select(s => (s, new[] { "LOC:Rome" }))))
        {
            TagDecoder.Validate(s.Tags, TaggingScheme.IOBES);
            var mentions = TagDecoder.Decode(s.Tags, TaggingScheme.IOBES, TagReading.Strict).Select(m => m.Type + ":" + string.Join(" ", s.Words.Skip(m.Start).Take(m.Length)));
            Assert.Equal(expected, mentions);
        }
        Assert.Contains(output.Skip(1).Take(4), s => !s.Words.SequenceEqual(output[0].Words));
    }

    [Fact]
    public void MentionReplacementDrawsFromTheFilesMentionsOfTheSameType()
    {
        using var temp = TestPaths.NewTempFolder();
        var input = temp.File("train.conll");
        File.WriteAllText(input, "John\tB-PER\nlives\tO\nin\tO\nParis\tB-LOC\n\nAnna\tB-PER\nMaria\tI-PER\nleft\tO\nNew\tB-LOC\nYork\tI-LOC\n");
        AugmentationJob.Run(new AugmentationJobOptions
        {
            Input = input, Output = temp.File("out.conll"), Method = "mention", Alpha = 1.0,
            Augmentation = new AugmentationOptions { Copies = 1, KeepOriginal = false },
        });
        var output = ConllReader.Read(temp.File("out.conll")).ToList();
        Assert.Equal(new[] { "Anna", "Maria", "lives", "in", "New", "York" }, output[0].Words);
        Assert.Equal(new[] { "B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC" }, output[0].Tags);
        Assert.Equal(new[] { "John", "left", "Paris" }, output[1].Words);
        Assert.Equal(new[] { "B-PER", "O", "B-LOC" }, output[1].Tags);
    }

    [Fact]
    public void ClassificationJsonlKeepsTheLabelAndOtherFields()
    {
        using var temp = TestPaths.NewTempFolder();
        var input = temp.File("train.jsonl");
        File.WriteAllLines(input, new[]
        {
            "{\"text\": \"the doctor healed the illness quickly\", \"label\": \"treat\", \"id\": 7}",
            "",
            "{\"id\": 8, \"label\": 2, \"text\": \"a big car, très rapide\"}",
        });
        AugmentationJob.Run(new AugmentationJobOptions
        {
            Input = input, Output = temp.File("out.jsonl"), Method = "sr", WordNetFolder = WordNet, Alpha = 0.5,
            Augmentation = new AugmentationOptions { Copies = 2 },
        });
        var lines = File.ReadAllLines(temp.File("out.jsonl"));
        Assert.Equal(6, lines.Length);
        Assert.Equal("{\"text\": \"the doctor healed the illness quickly\", \"label\": \"treat\", \"id\": 7}", lines[0]);   // originals as they were
        foreach (var line in lines.Skip(1).Take(2))
        {
            var record = JsonNode.Parse(line)!;
            Assert.Equal("treat", (string)record["label"]!);
            Assert.Equal(7, (int)record["id"]!);
            Assert.NotEqual("the doctor healed the illness quickly", (string)record["text"]!);
        }
        Assert.Contains("très", lines[4]);   // non-ASCII text stays as written, not \u-escaped
        Assert.Equal(2, (int)JsonNode.Parse(lines[4])!["label"]!);
        // The fine-tuning reader accepts the output.
        Assert.Equal(6, ClassificationReader.Read(temp.File("out.jsonl")).Count());
    }

    [Fact]
    public void ClassificationTsvKeepsItsHeaderAndColumns()
    {
        using var temp = TestPaths.NewTempFolder();
        var input = temp.File("train.tsv");
        File.WriteAllLines(input, new[] { "id\ttext\tlabel", "1\tthe car runs on the road\tpos", "2\ta doctor and a fever\tneg" });
        AugmentationJob.Run(new AugmentationJobOptions
        {
            Input = input, Output = temp.File("out.tsv"), Method = "rs,rd", Alpha = 0.5, Augmentation = new AugmentationOptions { Copies = 3, Seed = 9 },
        });
        var lines = File.ReadAllLines(temp.File("out.tsv"));
        Assert.Equal("id\ttext\tlabel", lines[0]);
        Assert.Equal(1 + 2 * 4, lines.Length);
        Assert.All(lines.Skip(1).Take(4), l => Assert.Matches("^1\t.+\tpos$", l));
        Assert.All(lines.Skip(5), l => Assert.Matches("^2\t.+\tneg$", l));
        Assert.Equal(new[] { "pos", "pos", "pos", "pos", "neg", "neg", "neg", "neg" }, ClassificationReader.Read(temp.File("out.tsv")).Select(e => e.Label));
    }

    [Fact]
    public void PlainTextGivesOneLinePerOutputAndMentionReplacementIsRefusedForIt()
    {
        using var temp = TestPaths.NewTempFolder();
        var input = temp.File("sentences.txt");
        File.WriteAllLines(input, new[] { "the  car runs", "", "a doctor heals the fever" });
        var summary = AugmentationJob.Run(new AugmentationJobOptions
        {
            Input = input, Output = temp.File("out.txt"), Method = "eda", WordNetFolder = WordNet, Augmentation = new AugmentationOptions { Copies = 2 },
        });
        var lines = File.ReadAllLines(temp.File("out.txt"));
        Assert.Equal(6, lines.Length);
        Assert.Equal("the  car runs", lines[0]);
        Assert.Equal(summary.Copies - summary.Unchanged, summary.ByOperation.Values.Sum());
        var e = Assert.Throws<ConfigException>(() => AugmentationJob.Run(new AugmentationJobOptions { Input = input, Output = temp.File("m.txt"), Method = "mention" }));
        Assert.Contains("only CoNLL input", e.Message);
    }

    [Fact]
    public void IllegalTagsAreReadLikeConllevalKeptInTheOriginalAndLegalInTheCopies()
    {
        using var temp = TestPaths.NewTempFolder();
        var input = temp.File("train.conll");
        File.WriteAllText(input, "met\tO\nAnn\tI-PER\nLee\tI-PER\ntoday\tO\nin\tO\nRome\tB-LOC\n");
        var summary = AugmentationJob.Run(new AugmentationJobOptions
        {
            Input = input, Output = temp.File("out.conll"), Method = "rs", Alpha = 1.0, Augmentation = new AugmentationOptions { Copies = 1 },
        });
        Assert.Equal(1, summary.RepairedSentences);
        var output = ConllReader.Read(temp.File("out.conll")).ToList();
        Assert.Equal(new[] { "O", "I-PER", "I-PER", "O", "O", "B-LOC" }, output[0].Tags);
        Assert.Equal(new[] { "B-PER", "I-PER" }, output[1].Tags.Skip(1).Take(2));
        Assert.Equal(new[] { "Ann", "Lee" }, output[1].Words.Skip(1).Take(2));
    }

    [Fact]
    public void ATagOutsideTheSchemeNamesTheFileAndLine()
    {
        using var temp = TestPaths.NewTempFolder();
        var input = temp.File("train.conll");
        File.WriteAllText(input, "John\tB-PER\nSmith\tE-PER\n");
        var e = Assert.Throws<DataException>(() => ConllDataset.Read(input, TaggingScheme.IOB2));
        Assert.Contains("train.conll:2", e.Message);
        Assert.Contains("--scheme", e.Message);
    }
}
