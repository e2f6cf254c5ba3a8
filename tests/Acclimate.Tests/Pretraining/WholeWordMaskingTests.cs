using Acclimate.Errors;
using Acclimate.Pretraining;
using Acclimate.Runtime;

namespace Acclimate.Tests.Pretraining;

/// <summary>Word boundaries for WordPiece, byte-level BPE, SentencePiece and Chinese references; whole-word selection.</summary>
public sealed class WholeWordMaskingTests
{
    public WholeWordMaskingTests() => TorchRuntime.EnsureInitialized();

    private static List<List<int>> Words(string[] vocab, SubwordScheme scheme, SpecialTokenIds specials, int[] ids, int[]? refs = null) =>
        new WordBoundaries(vocab, scheme).Words(ids, specials, refs);

    [Fact]
    public void WordPieceContinuationsJoinThePreviousWord()
    {
        string[] vocab = { "[PAD]", "[CLS]", "[SEP]", "[MASK]", "the", "play", "##ing", "game", "##s", "##ly" };
        var specials = new SpecialTokenIds(0, 3, 1, 2);
        // [CLS] the play ##ing game ##s [SEP] ##ly [SEP]: the "##ly" after [SEP] cannot join a word across the separator.
        var words = Words(vocab, SubwordScheme.WordPiece, specials, new[] { 1, 4, 5, 6, 7, 8, 2, 9, 2 });
        Assert.Equal(new[] { new[] { 1 }, new[] { 2, 3 }, new[] { 4, 5 }, new[] { 7 } }, words.Select(w => w.ToArray()));
    }

    [Fact]
    public void ByteLevelBpeWordsStartAtSpaceMarkerOrAfterASpecialToken()
    {
        string[] vocab = { "<s>", "<pad>", "</s>", "<mask>", "Hello", "\u0120world", "!", "\u0120the", "re", "\u0120Ġ" };
        var specials = new SpecialTokenIds(pad: 1, mask: 3, cls: 0, sep: 2);
        // <s> Hello Ġworld ! </s> </s> re Ġthe re </s>
        var words = Words(vocab, SubwordScheme.ByteLevelBpe, specials, new[] { 0, 4, 5, 6, 2, 2, 8, 7, 8, 2 });
        Assert.Equal(new[] { new[] { 1 }, new[] { 2, 3 }, new[] { 6 }, new[] { 7, 8 } }, words.Select(w => w.ToArray()));
    }

    [Fact]
    public void SentencePieceWordsStartAtTheMetaSpace()
    {
        string[] vocab = { "<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]", "\u2581play", "ing", "\u2581the", "\u2581", "1" };
        var specials = new SpecialTokenIds(pad: 0, mask: 4, cls: 2, sep: 3, others: new[] { 1 });
        // [CLS] ▁the ▁play ing ▁ 1 [SEP]
        var words = Words(vocab, SubwordScheme.SentencePiece, specials, new[] { 2, 7, 5, 6, 8, 9, 3 });
        Assert.Equal(new[] { new[] { 1 }, new[] { 2, 3 }, new[] { 4, 5 } }, words.Select(w => w.ToArray()));
    }

    [Fact]
    public void ChineseReferencePositionsJoinCharactersIntoWords()
    {
        // Characters are whole tokens; the reference says which positions continue a word.
        string[] vocab = { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "我", "喜", "欢", "北", "京", "##s" };
        var specials = new SpecialTokenIds(0, 4, 2, 3, new[] { 1 });
        var ids = new[] { 2, 5, 6, 7, 8, 9, 3 };           // [CLS] 我 喜 欢 北 京 [SEP]
        var refs = ChineseWordReferences.ParseLine("[3, 5]"); // 欢 continues 喜欢, 京 continues 北京
        var words = Words(vocab, SubwordScheme.WordPiece, specials, ids, refs);
        Assert.Equal(new[] { new[] { 1 }, new[] { 2, 3 }, new[] { 4, 5 } }, words.Select(w => w.ToArray()));
        Assert.Equal(5, Words(vocab, SubwordScheme.WordPiece, specials, ids).Count);   // without refs: one word per character
        Assert.Throws<DataException>(() => Words(vocab, SubwordScheme.WordPiece, specials, ids, new[] { 7 }));
    }

    [Fact]
    public void ReferenceFileIsReadAsJsonLinesAndErrorsNameTheLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"acclimate-ref-{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllText(path, "[2, 3]\n\n[]\n[1,4,7]\n");
            var refs = ChineseWordReferences.Read(path);
            Assert.Equal(new[] { new[] { 2, 3 }, Array.Empty<int>(), new[] { 1, 4, 7 } }, refs);

            File.WriteAllText(path, "[2, 3]\n[4, \"x\"]\n");
            var e = Assert.Throws<DataException>(() => ChineseWordReferences.Read(path));
            Assert.Contains(":2:", e.Message);
            File.WriteAllText(path, "[5, 5]\n");
            Assert.Contains("must increase", Assert.Throws<DataException>(() => ChineseWordReferences.Read(path)).Message);
            File.WriteAllText(path, "{\"a\": 1}\n");
            Assert.Contains("expected a JSON array", Assert.Throws<DataException>(() => ChineseWordReferences.Read(path)).Message);
        }
        finally { File.Delete(path); }
    }

    // WordPiece vocabulary with many multi-piece words: ids 4..13 start words, 14..23 are "##" pieces.
    private static readonly string[] PieceVocab = new[] { "[PAD]", "[CLS]", "[SEP]", "[MASK]" }
        .Concat(Enumerable.Range(0, 10).Select(i => $"w{i}"))
        .Concat(Enumerable.Range(0, 10).Select(i => $"##p{i}")).ToArray();
    private static readonly SpecialTokenIds PieceSpecials = new(0, 3, 1, 2);

    private static int[] PieceSequence(Random r, int words)
    {
        var ids = new List<int> { 1 };
        for (var w = 0; w < words; w++)
        {
            ids.Add(r.Next(4, 14));
            for (var p = r.Next(0, 3); p > 0; p--) ids.Add(r.Next(14, 24));
        }
        ids.Add(2);
        return ids.ToArray();
    }

    [Fact]
    public void EveryPieceOfASelectedWordGetsTheSameDecision()
    {
        var boundaries = new WordBoundaries(PieceVocab, SubwordScheme.WordPiece);
        var collator = new MlmCollator(new MlmMaskingOptions(), PieceSpecials, PieceVocab.Length, boundaries);
        var rng = new Random(11);
        var data = new Random(12);
        var sawRandomMultiPiece = false;
        for (var s = 0; s < 500; s++)
        {
            var ids = PieceSequence(data, 30);
            var masking = collator.MaskSequence(ids, rng);
            foreach (var word in boundaries.Words(ids, PieceSpecials))
            {
                var actions = word.Select(p => masking.Actions[p]).Distinct().ToArray();
                Assert.Single(actions);
                if (actions[0] == MaskAction.Random && word.Count > 1) sawRandomMultiPiece = true;
            }
            // Selection never goes past the target: max(1, round(0.15 × maskable tokens)).
            var target = Math.Max(1, (int)Math.Round((ids.Length - 2) * 0.15, MidpointRounding.ToEven));
            Assert.InRange(masking.SelectedCount, 1, target);
        }
        Assert.True(sawRandomMultiPiece, "no multi-piece word was ever randomly replaced; the test did not exercise the shared decision");
    }

    [Fact]
    public void SingleTokenWordsCoverExactlyTheTargetCount()
    {
        // With one-token words nothing overshoots, so HF's rule selects exactly the target.
        var boundaries = new WordBoundaries(PieceVocab, SubwordScheme.WordPiece);
        var collator = new MlmCollator(new MlmMaskingOptions(), PieceSpecials, PieceVocab.Length, boundaries);
        var rng = new Random(2);
        foreach (var n in new[] { 1, 5, 7, 20, 40, 100 })
        {
            var ids = new[] { 1 }.Concat(Enumerable.Repeat(5, n)).Append(2).ToArray();
            var expected = Math.Max(1, (int)Math.Round(n * 0.15, MidpointRounding.ToEven));
            Assert.Equal(expected, collator.MaskSequence(ids, rng).SelectedCount);
        }
    }

    [Fact]
    public void WholeWordCoverageIsAboutFifteenPercent()
    {
        // Mixed 1–3-piece words. A word that would overshoot the per-sequence target is skipped,
        // but one-piece words nearly always fill the gap, so coverage is the target
        // max(1, round(0.15·n)) of the n maskable tokens; its rounding error (≤ 0.5/n ≈ 0.008 per
        // sequence) averages out over 2000 sequences. Measured with these seeds: 0.1500. The band
        // [0.145, 0.1525] fails if n counted the two special tokens as HF does (≈ 0.155) or if
        // overshooting words were taken (> 0.16).
        var boundaries = new WordBoundaries(PieceVocab, SubwordScheme.WordPiece);
        var collator = new MlmCollator(new MlmMaskingOptions(), PieceSpecials, PieceVocab.Length, boundaries);
        var rng = new Random(21);
        var data = new Random(22);
        long covered = 0, maskable = 0;
        for (var s = 0; s < 2000; s++)
        {
            var ids = PieceSequence(data, 30);
            covered += collator.MaskSequence(ids, rng).SelectedCount;
            maskable += ids.Length - 2;
        }
        Assert.InRange((double)covered / maskable, 0.145, 0.1525);
    }

    [Fact]
    public void CollateUsesTheReferencePositionsOfEachExample()
    {
        string[] vocab = { "[PAD]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "d", "e", "f" };
        var specials = new SpecialTokenIds(0, 3, 1, 2);
        var collator = new MlmCollator(new MlmMaskingOptions { MaskProbability = 0.5 }, specials, vocab.Length,
            new WordBoundaries(vocab, SubwordScheme.WordPiece));
        // One 6-character "word" (positions 1..6 joined by the reference): target = round(0.5·6) = 3 < 6,
        // so HF's rule can select nothing; without the reference 3 single characters are selected.
        var ids = new[] { 1, 4, 5, 6, 7, 8, 9, 2 };
        using var joined = collator.Collate(new[] { new MlmExample(ids) { ContinuationPositions = new[] { 2, 3, 4, 5, 6 } } }, new Random(0));
        Assert.Equal(0, joined.MaskedCount);
        using var split = collator.Collate(new[] { new MlmExample(ids) }, new Random(0));
        Assert.Equal(3, split.MaskedCount);
        // A token-level collator refuses word references rather than ignoring them.
        var tokenLevel = new MlmCollator(new MlmMaskingOptions(), specials, vocab.Length);
        Assert.Throws<ConfigException>(() => tokenLevel.MaskSequence(ids, new Random(0), new[] { 2 }));
    }
}

/// <summary>data.whole_word_reference: the Chinese reference file reaches the examples, line by line.</summary>
[Collection(Acclimate.Tests.Training.TorchGlobalStateCollection.Name)]
public sealed class ChineseWholeWordReferenceTests
{
    private static readonly string ChineseTokenizer = TestPaths.Fixture("tokenizers", "bert-base-chinese");

    private static readonly string[] Lines = { "我们今天去北京大学参观。", "他喜欢自然语言处理。", "上海是一个大城市。", "研究人员发表了新论文。" };

    // Positions (with [CLS] at 0) of the characters that continue a word, as a segmenter would give them:
    // 今天 北京 大学 / 喜欢 自然 语言 处理 / 上海 一个 城市 / 研究 人员 发表 论文.
    private static readonly string[] References = { "[2, 4, 6, 8, 10]", "[3, 5, 7, 9]", "[2, 5, 8]", "[2, 4, 6, 10]" };

    [Fact]
    public void EachLineBlockCarriesItsLinesPositionsAndPositionsPastTheBlockAreDropped()
    {
        using var temp = TestPaths.NewTempFolder();
        var tokenizer = Acclimate.Tokenization.TokenizerLoader.FromFolder(ChineseTokenizer);
        Acclimate.Data.Caching.TokenCacheBuilder.Build(Lines, tokenizer, temp.File("c"), "k", "t", "test corpus");
        using var cache = Acclimate.Data.Caching.TokenCache.Open(temp.File("c"));
        var references = References.Select(r => Acclimate.Pretraining.ChineseWordReferences.ParseLine(r)).ToArray();
        var blocks = new Acclimate.Data.Batching.PretrainingBlocks(cache, 8, Acclimate.Data.Batching.BlockMode.LineByLine, tokenizer.ClsTokenId, tokenizer.SepTokenId);
        var examples = new Acclimate.Pretraining.BlockExamples(blocks, wordReferences: references);
        // Block size 8: [CLS], six characters, [SEP]; positions 7 and beyond are cut off with the text.
        Assert.Equal(new[] { 2, 4, 6 }, examples.Get(0).ContinuationPositions);
        Assert.Equal(new[] { 3, 5 }, examples.Get(1).ContinuationPositions);
        Assert.Equal(new[] { 2, 5 }, examples.Get(2).ContinuationPositions);
        Assert.Null(new Acclimate.Pretraining.BlockExamples(blocks).Get(0).ContinuationPositions);
        var packed = new Acclimate.Data.Batching.PretrainingBlocks(cache, 8, Acclimate.Data.Batching.BlockMode.Packed, tokenizer.ClsTokenId, tokenizer.SepTokenId);
        Assert.Throws<ArgumentException>(() => new Acclimate.Pretraining.BlockExamples(packed, wordReferences: references));
    }

    private static string Recipe(TempFolder temp, string corpus, string references, string extra = "") => $"""
        run:
          folder: {temp.File("run")}
          token_cache: {temp.File("tokens")}
        model:
          tokenizer: {ChineseTokenizer}
          architecture: bert
          hidden_size: 32
          num_layers: 1
          num_heads: 4
          intermediate_size: 48
          max_position_embeddings: 64
        objective:
          kind: mlm
          whole_word: true
        data:
          train: {corpus}
          eval: {corpus}
          block_size: 32
          block_mode: line_by_line
          whole_word_reference: {references}
        training:
          batch_size: 2
          max_steps: 2
          learning_rate: 1e-3
          log_every: 1
          threads: 1
          seed: 3
        {extra}
        """;

    [Fact]
    public void ARunTrainsWithTheReferenceAndRefusesAMismatchedOne()
    {
        using var temp = TestPaths.NewTempFolder();
        // A blank line in both files: HF skips it in each, so line k still meets reference k.
        var corpus = temp.File("zh.txt");
        File.WriteAllLines(corpus, Lines.Take(2).Append("").Concat(Lines.Skip(2)));
        var references = temp.File("zh.ref");
        File.WriteAllLines(references, References.Take(2).Append("").Concat(References.Skip(2)));
        var result = new Acclimate.Pretraining.PretrainingRun(Acclimate.Training.Recipe.Parse(Recipe(temp, corpus, references), "zh.yaml")).Execute();
        Assert.Equal(2, result.Training.GlobalStep);

        File.WriteAllLines(references, References.Take(3));
        var e = Assert.Throws<Acclimate.Errors.DataException>(() =>
            new Acclimate.Pretraining.PretrainingRun(Acclimate.Training.Recipe.Parse(Recipe(temp, corpus, references).Replace(temp.File("run"), temp.File("run2")), "zh.yaml")).Execute());
        Assert.Contains("zh.ref: 3 reference lines", e.Message);
        Assert.Contains("4 non-blank lines", e.Message);

        var c = Assert.Throws<Acclimate.Errors.ConfigException>(() =>
            new Acclimate.Pretraining.PretrainingRun(Acclimate.Training.Recipe.Parse(Recipe(temp, corpus, references).Replace("block_mode: line_by_line", "block_mode: packed"), "zh.yaml")));
        Assert.Contains("needs block_mode line_by_line", c.Message);
        c = Assert.Throws<Acclimate.Errors.ConfigException>(() =>
            new Acclimate.Pretraining.PretrainingRun(Acclimate.Training.Recipe.Parse(Recipe(temp, corpus, references).Replace("whole_word: true", "whole_word: false").Replace(temp.File("run"), temp.File("run3")), "zh.yaml")).Execute());
        Assert.Contains("set objective.whole_word: true", c.Message);
    }
}

/// <summary>Reference files built from Lucene SmartCn words, as HF's run_chinese_ref.py builds them from LTP's.</summary>
public sealed class ChineseReferenceBuildTests
{
    private static readonly string ChineseTokenizer = TestPaths.Fixture("tokenizers", "bert-base-chinese");

    [Fact]
    public void SegmenterWordsGiveTheContinuingCharactersPositions()
    {
        const string text = "我们今天去北京大学参观。";
        var words = Acclimate.Tokenization.ChineseWordSegmenter.Words(text).Select(w => text[w.Start..w.End]).ToArray();
        Assert.Equal(new[] { "我们", "今天", "去", "北京大学", "参观", "。" }, words);
        var tokenizer = Acclimate.Tokenization.TokenizerLoader.FromFolder(ChineseTokenizer);
        // [CLS]=0 我1 们2 今3 天4 去5 北6 京7 大8 学9 参10 观11 。12 [SEP]: 们, 天, 京 大 学, 观 continue a word.
        Assert.Equal(new[] { 2, 4, 7, 8, 9, 11 }, ChineseWordReferences.Build(text, tokenizer, Acclimate.Tokenization.ChineseWordSegmenter.Words(text)));
        // Latin letters and digits are never continuations, even inside a segmenter word; punctuation is no word.
        Assert.Empty(ChineseWordReferences.Build("COVID2019", tokenizer, new[] { (0, 9) }));
    }

    [Fact]
    public void TheCliWritesOneLinePerNonBlankLineThatTheReaderReadsBack()
    {
        using var temp = TestPaths.NewTempFolder();
        File.WriteAllLines(temp.File("zh.txt"), new[] { "我们今天去北京大学参观。", "", "他喜欢自然语言处理。" });
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Acclimate.Cli.CliApp.Run(["data", "chinese-ref", "--input", temp.File("zh.txt"), "--tokenizer", ChineseTokenizer, "--output", temp.File("zh.ref")], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        Assert.Contains("2 reference lines", stdout.ToString());
        var refs = ChineseWordReferences.Read(temp.File("zh.ref"));
        Assert.Equal(2, refs.Count);
        Assert.Equal(new[] { 2, 4, 7, 8, 9, 11 }, refs[0]);
        Assert.Equal(new[] { 3, 5, 7, 9 }, refs[1]);   // 他 喜欢 自然 语言 处理 。
        Assert.Equal(2, Acclimate.Cli.CliApp.Run(["data", "chinese-ref", "--input", temp.File("nope.txt"), "--tokenizer", ChineseTokenizer, "--output", temp.File("x.ref")], new StringWriter(), new StringWriter()));
    }
}
