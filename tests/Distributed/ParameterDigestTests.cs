using MiniHaiku.Distributed;

namespace MiniHaiku.Tests.Distributed;

public sealed class ParameterDigestTests
{
    private static Params Sample(float last) => Params.Create([
        new("a", tensor(new[] { 1f, 2f, 3f })),
        new("b", tensor(new[] { 4.0, (double)last })),
    ]);

    [Fact]
    public void EqualValuesGiveEqualDigestsAndOneChangedValueAnotherDigest()
    {
        var d = ParameterDigest.Of(Sample(5f));
        Assert.Matches("^[0-9a-f]{64}$", d);
        Assert.Equal(d, ParameterDigest.Of(Sample(5f)));
        Assert.NotEqual(d, ParameterDigest.Of(Sample(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(5f) + 1))));
    }

    [Fact]
    public void NamesDtypesAndShapesArePartOfTheDigest()
    {
        var values = new[] { 1f, 2f, 3f, 4f };
        var flat = ParameterDigest.Of(Params.Create([new("w", tensor(values))]));
        Assert.NotEqual(flat, ParameterDigest.Of(Params.Create([new("v", tensor(values))])));
        Assert.NotEqual(flat, ParameterDigest.Of(Params.Create([new("w", tensor(values).reshape(2, 2))])));
        Assert.NotEqual(flat, ParameterDigest.Of(Params.Create([new("w", tensor(values).to_type(ScalarType.Float64))])));
    }
}
