using Acclimate.Adaptation.Augmentation;
using Acclimate.Data.Tagging;
using CsCheck;

namespace Acclimate.Tests.Adaptation.Augmentation;

/// <summary>
/// The acceptance property of NER-safe augmentation: over random sentences, label sequences (in every
/// scheme), operations, α and seeds, every entity mention of the output — decoded from the output's
/// tags — is a mention of the input with the same tokens and type, in the same order and none lost;
/// for mention replacement, each output mention is the input's or a pool mention of the same type.
/// </summary>
public sealed class NerSafeAugmentationPropertyTests
{
    // Entity words also occur outside entities, so a check by string alone could not pass by accident.
    private static readonly string[] WordPool = { "the", "Paris", "cat", "of", "John", "runs", ",", "big", "Smith", "New", "York", "and", "2010", "quickly" };
    private static readonly string[] Types = { "PER", "LOC", "ORG" };
    private static readonly TaggingScheme[] Schemes =
        { TaggingScheme.IOB2, TaggingScheme.IOB1, TaggingScheme.IOBES, TaggingScheme.BILOU, TaggingScheme.IOE1, TaggingScheme.IOE2, TaggingScheme.IOBS, TaggingScheme.BMES, TaggingScheme.IO };

    // Extra mentions of every type, of several lengths, for mention replacement to draw from.
    private static readonly AugmentableSentence PoolSentence = new(
        "Ann Lee met Bob in Rome near Acme Corp Ltd and Oslo".Split(' '),
        new[] { new EntitySpan("PER", 0, 2), new EntitySpan("PER", 3, 4), new EntitySpan("LOC", 5, 6), new EntitySpan("ORG", 7, 10), new EntitySpan("LOC", 11, 12) });

    private sealed record Unit(string? Type, string[] Words)
    {
        public override string ToString() => Type is null ? Words[0] : $"[{string.Join(" ", Words)}]/{Type}";
    }

    private sealed record Case(Unit[] Units, TaggingScheme Scheme, int Operation, double Alpha, int Seed)
    {
        public override string ToString() =>
            $"{Scheme} op {Operation} α {Alpha:F2} seed {Seed}: " + string.Join(" ", Units.Select(u => u.ToString()));
    }

    private static readonly Gen<Unit> UnitGen = Gen.Select(Gen.Int[0, 2], Gen.Int[0, Types.Length - 1], Gen.Int[1, 3], Gen.Int[0, WordPool.Length - 1].Array[3],
        (kind, type, length, words) => kind == 0
            ? new Unit(Types[type], words.Take(length).Select(w => WordPool[w]).ToArray())
            : new Unit(null, new[] { WordPool[words[0]] }));

    private static readonly Gen<Case> CaseGen = Gen.Select(UnitGen.Array[1, 14], Gen.Int[0, Schemes.Length - 1], Gen.Int[0, 5], Gen.Double[0.05, 1.0], Gen.Int,
        (units, scheme, op, alpha, seed) => new Case(units, Schemes[scheme], op, alpha, seed));

    [Fact]
    public void AugmentationNeverChangesAnEntityMentionExceptByMentionReplacement()
    {
        CaseGen.Sample(CheckCase, iter: 3000, threads: 1, print: c => c.ToString());
    }

    [Fact]
    public void TheAugmenterWithEveryOperationKeepsMentionsInEveryCopy()
    {
        // The same check through Augmenter, which also retries operations that change nothing.
        Gen.Select(UnitGen.Array[1, 14], Gen.Int[0, Schemes.Length - 1], Gen.Int).Sample((units, s, seed) =>
        {
            var scheme = Schemes[s];
            var (input, tags) = Build(units, scheme);
            var pool = new MentionPool(new[] { input, PoolSentence });
            var augmenter = new Augmenter(Operations(0.3, pool), new AugmentationOptions { Copies = 6, Seed = seed });
            foreach (var copy in augmenter.Augment(Decode(tags, scheme, input.Words), 0))
                CheckMentions(input, copy.Sentence, scheme, copy.Operation == "mention" ? pool : null);
        }, iter: 500, threads: 1, print: t => $"{Schemes[t.Item2]} seed {t.Item3}: {string.Join(" ", t.Item1.Select(u => u.ToString()))}");
    }

    private static void CheckCase(Case c)
    {
        var (input, tags) = Build(c.Units, c.Scheme);
        var pool = new MentionPool(new[] { input, PoolSentence });
        var operation = Operations(c.Alpha, pool)[c.Operation];
        // The operation sees the sentence as the CoNLL reader gives it: decoded from the tags.
        var output = operation.Apply(Decode(tags, c.Scheme, input.Words), new Random(c.Seed));
        CheckMentions(input, output, c.Scheme, operation is MentionReplacement ? pool : null);
    }

    private static void CheckMentions(AugmentableSentence input, AugmentableSentence output, TaggingScheme scheme, MentionPool? pool)
    {
        // Written in the scheme and read back strictly: the tags must be legal and give back the mentions.
        var outTags = ConllDataset.TagsOf(output, scheme);
        Assert.True(TagDecoder.IsLegal(outTags, scheme, out var problem), problem);
        var outMentions = TagDecoder.Decode(outTags, scheme, TagReading.Strict).Select(m => (m.Type, Words: string.Join(" ", output.Words.Skip(m.Start).Take(m.Length)))).ToArray();
        var inMentions = input.Entities.Select(m => (m.Type, Words: string.Join(" ", input.MentionWords(m)))).ToArray();
        Assert.Equal(inMentions.Length, outMentions.Length);
        for (var k = 0; k < inMentions.Length; k++)
        {
            Assert.Equal(inMentions[k].Type, outMentions[k].Type);
            if (outMentions[k].Words == inMentions[k].Words) continue;
            Assert.True(pool is not null, $"mention {k} {inMentions[k]} became {outMentions[k]} without mention replacement");
            Assert.True(pool!.Contains(outMentions[k].Type, outMentions[k].Words.Split(' ')), $"mention {outMentions[k]} is not a {outMentions[k].Type} mention of the pool");
        }
    }

    private static IReadOnlyList<IAugmentationOperation> Operations(double alpha, MentionPool pool) => new IAugmentationOperation[]
    {
        new SynonymReplacement(FixedSynonyms.ForEveryWord, alpha),
        new RandomInsertion(FixedSynonyms.ForEveryWord, alpha),
        new RandomSwap(alpha),
        new RandomDeletion(alpha),
        new ContextualSubstitution(new FixedPredictor(new WordCandidate("John", 0.5), new WordCandidate("Paris", 0.3), new WordCandidate("dog", 0.2)), alpha, topK: 3),
        new MentionReplacement(pool, alpha),
    };

    /// <summary>The sentence of the units and its tags in the scheme (IO cannot write touching mentions of one type, so one word goes between).</summary>
    private static (AugmentableSentence Sentence, string[] Tags) Build(Unit[] units, TaggingScheme scheme)
    {
        var words = new List<string>();
        var spans = new List<EntitySpan>();
        string? previousType = null;
        foreach (var unit in units)
        {
            if (unit.Type is not null && unit.Type == previousType && scheme == TaggingScheme.IO) words.Add("and");
            if (unit.Type is not null) spans.Add(new EntitySpan(unit.Type, words.Count, words.Count + unit.Words.Length));
            words.AddRange(unit.Words);
            previousType = unit.Type;
        }
        var sentence = new AugmentableSentence(words, spans);
        return (sentence, TagEncoder.Encode(spans, words.Count, scheme));
    }

    private static AugmentableSentence Decode(string[] tags, TaggingScheme scheme, IReadOnlyList<string> words) =>
        new(words, TagDecoder.Decode(tags, scheme, TagReading.Strict));
}
