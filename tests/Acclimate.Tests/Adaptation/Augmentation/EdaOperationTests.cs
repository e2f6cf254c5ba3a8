using Acclimate.Adaptation;
using Acclimate.Adaptation.Augmentation;
using Acclimate.Data.Tagging;

namespace Acclimate.Tests.Adaptation.Augmentation;

/// <summary>EDA's four operations one by one: what they change, how much, and what they leave alone.</summary>
public sealed class EdaOperationTests
{
    private static readonly FixedSynonyms Synonyms = new(new Dictionary<string, string[]>
    {
        ["quick"] = new[] { "fast" },
        ["dog"] = new[] { "domestic dog" },
        ["jumps"] = new[] { "leaps" },
    });

    private static AugmentableSentence Sentence(string text) => AugmentableSentence.FromText(text);

    [Fact]
    public void ChangeCountIsEdasMaxOfOneAndAlphaTimesLength()
    {
        Assert.Equal(1, EasyDataAugmentation.ChangeCount(0.1, 5));
        Assert.Equal(2, EasyDataAugmentation.ChangeCount(0.1, 29));
        Assert.Equal(3, EasyDataAugmentation.ChangeCount(0.3, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomSwap(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomDeletion(1.5));
    }

    [Fact]
    public void SynonymReplacementReplacesOneContentWordPerTenWithASynonymKeepingCase()
    {
        var sentence = Sentence("The quick brown dog jumps");
        var seen = new HashSet<string>();
        for (var seed = 0; seed < 40; seed++)
        {
            var output = new SynonymReplacement(Synonyms, 0.1, DomainSimilarity.StopWords).Apply(sentence, new Random(seed));
            seen.Add(output.Text);
            // ⌊0.1·5⌋ = 0 → one replacement: exactly one of the three words with synonyms changes.
            Assert.Contains(output.Text, new[] { "The fast brown dog jumps", "The quick brown domestic dog jumps", "The quick brown dog leaps" });
        }
        Assert.Equal(3, seen.Count);
        var capital = new SynonymReplacement(Synonyms, 0.1).Apply(Sentence("Quick thinking"), new Random(1));
        Assert.Equal("Fast thinking", capital.Text);
    }

    [Fact]
    public void SynonymReplacementSkipsStopWordsAndWordsWithoutSynonyms()
    {
        var synonyms = new FixedSynonyms(new Dictionary<string, string[]> { ["the"] = new[] { "a" } });
        var sentence = Sentence("the cat sat on the mat");
        var output = new SynonymReplacement(synonyms, 1.0, DomainSimilarity.StopWords).Apply(sentence, new Random(3));
        Assert.Equal(sentence, output);
        Assert.DoesNotContain("the", synonyms.Asked);   // stop words are never looked up
    }

    [Fact]
    public void RandomInsertionAddsSynonymsOfTheSentencesWordsAndNothingElse()
    {
        // Every content word has a synonym, so each of the ⌊0.5·4⌋ = 2 insertions happens.
        var synonyms = new FixedSynonyms(new Dictionary<string, string[]>
        {
            ["quick"] = new[] { "fast" }, ["brown"] = new[] { "fast" }, ["fox"] = new[] { "fast" }, ["fast"] = new[] { "rapid" },
        });
        var sentence = Sentence("The quick brown fox");
        for (var seed = 0; seed < 20; seed++)
        {
            var output = new RandomInsertion(synonyms, 0.5, DomainSimilarity.StopWords).Apply(sentence, new Random(seed));
            Assert.Equal(6, output.Words.Count);
            // The original words stay, in order; what was added are synonyms.
            Assert.Equal(sentence.Words, output.Words.Where(w => w is not ("fast" or "rapid")));
            Assert.DoesNotContain("The", synonyms.Asked);
        }
        var none = Sentence("brown fox");
        Assert.Equal(none, new RandomInsertion(Synonyms, 0.5).Apply(none, new Random(1)));
    }

    [Fact]
    public void RandomSwapExchangesWordsAndKeepsTheMultiset()
    {
        var sentence = Sentence("a b c d e f g h i j");
        var changed = 0;
        for (var seed = 0; seed < 30; seed++)
        {
            var output = new RandomSwap(0.1).Apply(sentence, new Random(seed));
            Assert.Equal(sentence.Words.Order(), output.Words.Order());
            // One swap of two different positions: exactly two words move.
            Assert.Equal(2, sentence.Words.Zip(output.Words).Count(p => p.First != p.Second));
            changed++;
        }
        Assert.Equal(30, changed);
        var single = Sentence("alone");
        Assert.Equal(single, new RandomSwap(0.5).Apply(single, new Random(1)));
    }

    [Fact]
    public void RandomDeletionDropsWordsAtRateAlphaButNeverAllOfThem()
    {
        var sentence = Sentence(string.Join(' ', Enumerable.Range(0, 1000).Select(i => "w" + i)));
        var output = new RandomDeletion(0.1).Apply(sentence, new Random(7));
        var dropped = sentence.Words.Count - output.Words.Count;
        Assert.InRange(dropped, 70, 130);   // Binomial(1000, 0.1): mean 100, sd 9.5
        Assert.Equal(output.Words, sentence.Words.Where(w => output.Words.Contains(w)));   // order kept
        var tiny = Sentence("a b");
        for (var seed = 0; seed < 20; seed++)
            Assert.NotEmpty(new RandomDeletion(1.0).Apply(tiny, new Random(seed)).Words);
    }

    [Fact]
    public void OperationsLeaveMentionsAloneAndMoveThemWhole()
    {
        var sentence = new AugmentableSentence("John Smith likes the quick dog in New York".Split(' '),
            new[] { new EntitySpan("PER", 0, 2), new EntitySpan("LOC", 7, 9) });
        var every = FixedSynonyms.ForEveryWord;
        foreach (var op in new IAugmentationOperation[] { new SynonymReplacement(every, 1.0), new RandomInsertion(every, 1.0), new RandomSwap(1.0), new RandomDeletion(1.0) })
            for (var seed = 0; seed < 25; seed++)
            {
                var output = op.Apply(sentence, new Random(seed));
                Assert.Equal(new[] { "PER", "LOC" }, output.Entities.Select(e => e.Type));
                Assert.Equal(new[] { "John", "Smith" }, output.MentionWords(output.Entities[0]));
                Assert.Equal(new[] { "New", "York" }, output.MentionWords(output.Entities[1]));
            }
    }

    [Fact]
    public void DeletionKeepsTheOnlyWordBetweenTwoMentionsOfOneType()
    {
        // Without a word between them the two LOC mentions would touch and read as one in IO.
        var sentence = new AugmentableSentence("Paris and Rome".Split(' '), new[] { new EntitySpan("LOC", 0, 1), new EntitySpan("LOC", 2, 3) });
        for (var seed = 0; seed < 10; seed++)
            Assert.Equal(sentence, new RandomDeletion(1.0).Apply(sentence, new Random(seed)));
        var longer = new AugmentableSentence("Paris , and then Rome".Split(' '), new[] { new EntitySpan("LOC", 0, 1), new EntitySpan("LOC", 4, 5) });
        for (var seed = 0; seed < 10; seed++)
        {
            var output = new RandomDeletion(1.0).Apply(longer, new Random(seed));
            Assert.Equal(3, output.Words.Count);
            Assert.Equal(new[] { new EntitySpan("LOC", 0, 1), new EntitySpan("LOC", 2, 3) }, output.Entities);
        }
    }

    [Fact]
    public void EditsThatWouldTouchAMentionAreRefused()
    {
        var sentence = new AugmentableSentence("in New York today".Split(' '), new[] { new EntitySpan("LOC", 1, 3) });
        Assert.Throws<InvalidOperationException>(() => sentence.Replace(1, new[] { "Old" }));
        Assert.Throws<InvalidOperationException>(() => sentence.Swap(0, 2));
        Assert.Throws<InvalidOperationException>(() => sentence.Delete(new[] { 2 }));
        Assert.Throws<InvalidOperationException>(() => sentence.Insert(2, new[] { "x" }));
        var inserted = sentence.Insert(1, new[] { "old", "town" });
        Assert.Equal(new EntitySpan("LOC", 3, 5), inserted.Entities[0]);
    }

    [Fact]
    public void MentionReplacementTakesAnotherMentionOfTheSameTypeAndResizesTheSpan()
    {
        var pool = new MentionPool(new[]
        {
            new AugmentableSentence("Bob met Ann Lee".Split(' '), new[] { new EntitySpan("PER", 0, 1), new EntitySpan("PER", 2, 4) }),
            new AugmentableSentence("in Rome".Split(' '), new[] { new EntitySpan("LOC", 1, 2) }),
        });
        var sentence = new AugmentableSentence("Bob lives in New York".Split(' '), new[] { new EntitySpan("PER", 0, 1), new EntitySpan("LOC", 3, 5) });
        var output = new MentionReplacement(pool, 1.0).Apply(sentence, new Random(1));
        // α = 1: both mentions; PER's only other mention is "Ann Lee", LOC's is "Rome".
        Assert.Equal("Ann Lee lives in Rome", output.Text);
        Assert.Equal(new[] { new EntitySpan("PER", 0, 2), new EntitySpan("LOC", 4, 5) }, output.Entities);
        Assert.Equal(new[] { "B-PER", "E-PER", "O", "O", "S-LOC" }, ConllDataset.TagsOf(output, TaggingScheme.IOBES));
        var lonely = new AugmentableSentence("at Acme".Split(' '), new[] { new EntitySpan("ORG", 1, 2) });
        Assert.Equal(lonely, new MentionReplacement(pool, 1.0).Apply(lonely, new Random(1)));
    }

    [Fact]
    public void TheAugmenterMakesKCopiesTakingTurnsAndIsDeterministic()
    {
        var sentence = Sentence("The quick brown dog jumps over the lazy fox today");
        var augmenter = new Augmenter(EasyDataAugmentation.Operations(Synonyms, 0.5), new AugmentationOptions { Copies = 8, Seed = 5 });
        var outputs = augmenter.Augment(sentence, 3);
        Assert.Equal(9, outputs.Count);
        Assert.Null(outputs[0].Operation);
        Assert.Same(sentence, outputs[0].Sentence);
        Assert.All(outputs.Skip(1), c => Assert.True(c.Changed));
        Assert.Equal(new[] { "rd", "ri", "rs", "sr" }, outputs.Skip(1).Select(c => c.Operation!).Distinct().Order());
        Assert.Equal(outputs.Select(o => o.Sentence.Text), augmenter.Augment(sentence, 3).Select(o => o.Sentence.Text));
        Assert.NotEqual(outputs.Select(o => o.Sentence.Text), augmenter.Augment(sentence, 4).Select(o => o.Sentence.Text));
        var withoutOriginal = new Augmenter(EasyDataAugmentation.Operations(Synonyms), new AugmentationOptions { Copies = 2, KeepOriginal = false });
        Assert.Equal(2, withoutOriginal.Augment(sentence, 0).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AugmentationOptions { Copies = 0 });
    }
}
