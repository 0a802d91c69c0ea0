using System.Text;
using MiniHaiku.Import;

namespace MiniHaiku.Tests.Import;

public sealed class NpyTests
{
    private static float[] Floats(Tensor t) => t.to(float32).contiguous().data<float>().ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ReadsEveryHeaderVersion(int major)
    {
        var bytes = SpecFiles.Npy("<f4", [2, 3], SpecFiles.LittleF32(1, 2, 3, 4, 5, 6), major: major);
        using var t = Npy.Parse(bytes, "a.npy");
        Assert.Equal(float32, t.dtype);
        Assert.Equal([2L, 3], t.shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], Floats(t));
    }

    [Fact]
    public void ReadsAVersion3HeaderInUtf8()
    {
        // The dict may hold any UTF-8 text in 3.0; here a string value np.save never writes, checked as unexpected.
        var bytes = SpecFiles.Npy("", [1], [0, 0, 0, 0], major: 3, header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'ünïcode': 'x'}");
        var e = Assert.Throws<WeightFileException>(() => Npy.Parse(bytes, "a.npy"));
        Assert.Contains("unexpected key 'ünïcode'", e.Message);
    }

    [Fact]
    public void BigEndianFortranOrderIsReadAsTheSameArray()
    {
        // [[1, 2, 3], [4, 5, 6]] stored column by column, big-endian doubles.
        var bytes = SpecFiles.Npy(">f8", [2, 3], SpecFiles.BigF64(1, 4, 2, 5, 3, 6), fortran: true);
        using var t = Npy.Parse(bytes, "a.npy");
        Assert.Equal(float64, t.dtype);
        Assert.Equal([2L, 3], t.shape);
        Assert.True(t.is_contiguous());
        Assert.Equal([1.0, 2, 3, 4, 5, 6], t.data<double>().ToArray());
    }

    [Fact]
    public void FortranOrderOfRank3KeepsEveryIndex()
    {
        // a[i, j, k] = 100i + 10j + k for shape (2, 3, 4); Fortran order: i varies fastest.
        var values = new List<float>();
        for (var k = 0; k < 4; k++) for (var j = 0; j < 3; j++) for (var i = 0; i < 2; i++) values.Add(100 * i + 10 * j + k);
        using var t = Npy.Parse(SpecFiles.Npy("<f4", [2, 3, 4], SpecFiles.LittleF32([.. values]), fortran: true), "a.npy");
        for (var i = 0; i < 2; i++) for (var j = 0; j < 3; j++) for (var k = 0; k < 4; k++)
            Assert.Equal(100 * i + 10 * j + k, t[i, j, k].item<float>());
    }

    public static TheoryData<string, ScalarType, byte[], double[]> Dtypes => new()
    {
        { "<f2", ScalarType.Float16, [0x00, 0x3C, 0x00, 0xC0], [1.0, -2.0] },
        { ">f2", ScalarType.Float16, [0x3C, 0x00, 0xC0, 0x00], [1.0, -2.0] },
        { ">f4", ScalarType.Float32, [0x3F, 0x80, 0, 0, 0xC0, 0x40, 0, 0], [1.0, -3.0] },
        { "|i1", ScalarType.Int8, [0xFF, 0x7F], [-1, 127] },
        { "<i2", ScalarType.Int16, [0xFE, 0xFF, 0x00, 0x01], [-2, 256] },
        { ">i2", ScalarType.Int16, [0xFF, 0xFE, 0x01, 0x00], [-2, 256] },
        { "<i4", ScalarType.Int32, [0x01, 0, 0, 0x80, 5, 0, 0, 0], [int.MinValue + 1, 5] },
        { ">i8", ScalarType.Int64, [0, 0, 0, 0, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [7, -1] },
        { "|u1", ScalarType.Byte, [0, 255], [0, 255] },
        { "|b1", ScalarType.Bool, [1, 0], [1, 0] },
        { "<V2", ScalarType.BFloat16, [0x80, 0x3F, 0x40, 0xC0], [1.0, -3.0] }, // bfloat16: the top half of a float32
    };

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void ReadsEverySupportedDtype(string descr, ScalarType dtype, byte[] data, double[] expected)
    {
        using var t = Npy.Parse(SpecFiles.Npy(descr, [2], data), "a.npy");
        Assert.Equal(dtype, t.dtype);
        Assert.Equal(expected, t.to(float64).data<double>().ToArray());
    }

    [Fact]
    public void ScalarsAndEmptyArraysKeepTheirShapes()
    {
        using var scalar = Npy.Parse(SpecFiles.Npy("<f4", [], SpecFiles.LittleF32(2.5f)), "a.npy");
        Assert.Empty(scalar.shape);
        Assert.Equal(2.5f, scalar.item<float>());
        using var empty = Npy.Parse(SpecFiles.Npy("<i8", [0, 3], []), "a.npy");
        Assert.Equal([0L, 3], empty.shape);
    }

    public static TheoryData<byte[], string> BadFiles => new()
    {
        { Encoding.ASCII.GetBytes("PK\u0003\u0004not an npy file"), "does not start with the magic" },
        { SpecFiles.Npy("<f4", [2, 3], SpecFiles.LittleF32(1, 2, 3)), "is truncated: shape (2, 3) of '<f4' needs 24 data bytes but only 12 are present" },
        { SpecFiles.Npy("<f4", [1], SpecFiles.LittleF32(1, 2)), "4 bytes of trailing data" },
        { SpecFiles.Npy("|O", [1], [0]), "holds Python objects (dtype '|O'); pickled arrays are never loaded" },
        { SpecFiles.Npy("<u4", [1], [0, 0, 0, 0]), "dtype '<u4' (unsigned 4-byte integers)" },
        { SpecFiles.Npy("<c8", [1], new byte[8]), "dtype '<c8', which is not supported" },
        { SpecFiles.Npy("|b1", [1], [2]), "a bool byte of value 2" },
        { SpecFiles.Npy("", [1], [0], header: "{'descr': '<f4', 'shape': (1,)}"), "without 'descr', 'fortran_order' or 'shape'" },
        { SpecFiles.Npy("", [1], [0], header: "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}"), "not a valid Python dict literal" },
        { SpecFiles.Npy("", [1], [0], header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}"), "not a valid Python dict literal" },
        { SpecFiles.Npy("<f4", [1], [0, 0, 0, 0], major: 4), "npy format version 4.0" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BadArraysAreWeightFileExceptionsNamingFileAndEntry(byte[] bytes, string problem)
    {
        var e = Assert.Throws<WeightFileException>(() => Npy.Parse(bytes, "params.npz", "mlp/~/linear_0/w.npy"));
        Assert.StartsWith("Weight file 'params.npz', entry 'mlp/~/linear_0/w.npy': ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Equal("params.npz", e.FilePath);
        Assert.Equal("mlp/~/linear_0/w.npy", e.Entry);
    }

    [Fact]
    public void AHeaderLongerThanTheFileIsTruncated()
    {
        var bytes = SpecFiles.Npy("<f4", [1], SpecFiles.LittleF32(1))[..20];
        var e = Assert.Throws<WeightFileException>(() => Npy.Parse(bytes, "a.npy"));
        Assert.Contains("is truncated: its npy header claims", e.Message);
    }
}
