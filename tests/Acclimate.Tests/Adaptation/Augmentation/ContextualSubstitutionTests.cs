using Acclimate.Adaptation.Augmentation;
using Acclimate.Data.Tagging;
using Acclimate.Errors;
using static TorchSharp.torch;

namespace Acclimate.Tests.Adaptation.Augmentation;

/// <summary>Contextual substitution with a tiny masked LM whose preferences are set (see <see cref="TinyMaskedLm"/>).</summary>
public sealed class ContextualSubstitutionTests
{
    [Fact]
    public void ThePredictorProposesWholeWordsNeverFragmentsSpecialsOrTheOriginal()
    {
        using var tiny = new TinyMaskedLm();
        using var predictor = MaskedLmWordPredictor.Load(tiny.Folder, "cpu");
        // "##s" and [SEP] have the highest scores but are not whole words.
        var forCat = predictor.Predict(new[] { "the", "cat", "sat" }, new[] { 1 }, 2)[0];
        Assert.Equal("dog", forCat[0].Word);
        Assert.Equal(2, forCat.Count);
        Assert.True(forCat[0].Probability > forCat[1].Probability);
        // The original is never proposed, whatever its score.
        var forDog = predictor.Predict(new[] { "the", "dog", "sat" }, new[] { 1 }, 3)[0];
        Assert.Equal("cat", forDog[0].Word);
        Assert.DoesNotContain(forDog, c => c.Word == "dog");
        Assert.All(forDog.Concat(forCat), c => Assert.DoesNotContain(c.Word, new[] { "##s", "[SEP]", "[CLS]", "[MASK]", "[PAD]", "[UNK]", ",", "." }));
    }

    [Fact]
    public void AWordOfSeveralPiecesIsMaskedAsOneAndReplacedByOneWord()
    {
        using var tiny = new TinyMaskedLm();
        using var predictor = MaskedLmWordPredictor.Load(tiny.Folder, "cpu");
        Assert.Equal(new[] { "cat", "##s" }, tiny.Tokenizer.Encode("cats", options: new Acclimate.Tokenization.EncodeOptions { AddSpecialTokens = false }).Tokens);
        // "cats" is the only word with a letter, so it is the one masked; its two pieces become one mask.
        var output = new ContextualSubstitution(predictor, 0.1, topK: 1).Apply(AugmentableSentence.FromText("Cats ."), new Random(0));
        Assert.Equal("Dog .", output.Text);
    }

    [Fact]
    public void SubstitutionLeavesMentionsAndPunctuationAloneAndKeepsCase()
    {
        using var tiny = new TinyMaskedLm();
        using var predictor = MaskedLmWordPredictor.Load(tiny.Folder, "cpu");
        var sentence = new AugmentableSentence("John lives in Paris , The dog sat .".Split(' '), new[] { new EntitySpan("PER", 0, 1), new EntitySpan("LOC", 3, 4) });
        var output = new ContextualSubstitution(predictor, 1.0, topK: 1).Apply(sentence, new Random(2));
        // α = 1 masks every outside word with a letter; the top whole word is dog, or cat for dog itself.
        Assert.Equal("John dog dog Paris , Dog cat dog .", output.Text);
        Assert.Equal(sentence.Entities, output.Entities);
    }

    [Fact]
    public void SamplingFollowsTheModelsProbabilitiesWithinTopK()
    {
        var predictor = new FixedPredictor(new WordCandidate("often", 0.9), new WordCandidate("rarely", 0.1));
        var substitution = new ContextualSubstitution(predictor, 0.5, topK: 2);
        var counts = new Dictionary<string, int>();
        for (var seed = 0; seed < 1000; seed++)
        {
            var word = substitution.Apply(AugmentableSentence.FromText("word"), new Random(seed)).Words[0];
            counts[word] = counts.GetValueOrDefault(word) + 1;
        }
        Assert.Equal(new[] { "often", "rarely" }, counts.Keys.Order());
        Assert.InRange(counts["rarely"], 70, 130);   // Binomial(1000, 0.1)
    }

    [Fact]
    public void AFolderWithoutAnMlmHeadIsRefused()
    {
        using var tiny = new TinyMaskedLm(withHead: false);
        var e = Assert.Throws<CheckpointException>(() => MaskedLmWordPredictor.Load(tiny.Folder, "cpu"));
        Assert.Contains("no masked-LM head", e.Message);
        Assert.Contains(tiny.Folder, e.Message);
    }

    [Fact]
    public void EmbeddingNeighboursAreTheNearestWholeWords()
    {
        using var tiny = new TinyMaskedLm();
        var vocabulary = TinyMaskedLm.Vocabulary;
        var rows = new float[vocabulary.Length, 3];
        void Set(string token, float x, float y, float z) { var i = Array.IndexOf(vocabulary, token); rows[i, 0] = x; rows[i, 1] = y; rows[i, 2] = z; }
        for (var i = 0; i < vocabulary.Length; i++) rows[i, 2] = -1;   // far from everything below
        Set("cat", 1, 0.1f, 0);
        Set("dog", 1, 0.2f, 0);
        Set("##s", 1, 0.15f, 0);     // nearest to cat, but a fragment
        Set("mat", 0.9f, 0.5f, 0);
        Set("red", 0, 1, 0.1f);
        Set("blue", 0, 1, 0.2f);
        using var embeddings = tensor(rows);
        using var neighbours = new EmbeddingNeighbourSynonyms(embeddings, tiny.Tokenizer, neighbours: 2);
        Assert.Equal(new[] { "dog", "mat" }, neighbours.SynonymsOf("cat"));
        Assert.Equal("blue", neighbours.SynonymsOf("Red")[0]);
        Assert.Empty(neighbours.SynonymsOf("zebra"));   // [UNK]: no neighbours
        using var loaded = EmbeddingNeighbourSynonyms.Load(tiny.Folder, neighbours: 3);
        Assert.Equal(3, loaded.SynonymsOf("cat").Count);
        Assert.DoesNotContain("cat", loaded.SynonymsOf("cat"));
    }
}
