using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Runtime;
using static TorchSharp.torch;

namespace Acclimate.Tests.Models;

/// <summary>Bad batches fail with a clear managed error before they reach libtorch.</summary>
public sealed class InputValidationTests
{
    private static readonly EncoderConfig Roberta = EncoderConfig.Create(ModelType.Roberta, 40, 16, 1, 2, 32, maxPositions: 12);

    public InputValidationTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void IdOutsideTheVocabularyIsNamed()
    {
        using var model = ModelFactory.Create(Roberta, ModelTask.Base);
        using var ids = tensor(new long[] { 0, 5, 40, 2 }, new long[] { 1, 4 });
        var e = Assert.Throws<DataException>(() => model.Forward(new ModelInputs(ids)));
        Assert.Contains("40 entries", e.Message);
        Assert.Contains("[0, 40]", e.Message);
    }

    [Fact]
    public void RobertaPositionOffsetLimitsTheLength()
    {
        using var model = ModelFactory.Create(Roberta, ModelTask.Base);
        Assert.Equal(10, model.Encoder.MaxSequenceLength);   // 12 rows − (pad 1 + 1)
        using var fits = ones(1, 10, dtype: ScalarType.Int64) * 5;
        model.Forward(new ModelInputs(fits));
        using var tooLong = ones(1, 11, dtype: ScalarType.Int64) * 5;
        var e = Assert.Throws<DataException>(() => model.Forward(new ModelInputs(tooLong)));
        Assert.Contains("maximum of 10", e.Message);
    }

    [Fact]
    public void TokenTypeBeyondTheTableIsNamed()
    {
        using var model = ModelFactory.Create(EncoderConfig.Create(ModelType.Bert, 40, 16, 1, 2, 32, maxPositions: 12), ModelTask.Base);
        using var ids = ones(1, 3, dtype: ScalarType.Int64);
        using var types = tensor(new long[] { 0, 1, 2 }, new long[] { 1, 3 });
        var e = Assert.Throws<DataException>(() => model.Forward(new ModelInputs(ids, null, types)));
        Assert.Contains("type_vocab_size is 2", e.Message);
    }
}
