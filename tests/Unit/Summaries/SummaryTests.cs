using MiniHaiku.Layers;
using MiniHaiku.Summaries;

namespace MiniHaiku.Tests.Summaries;

public sealed record Dense(ModuleName Name, int Width) : Module(Name)
{
    public static Model<Dense> Create(int width, string? name = null) => Hk.Module(n => new Dense(n, width), name);

    public Model<Tensor> Call(Tensor x) => Method(
        from w in Hk.GetParam("w", [x.shape[^1], Width])
        from b in Hk.GetParam("b", [Width], Initializers.Zeros())
        select x.matmul(w) + b, x);
}

public sealed record TwoLayerMlp(ModuleName Name, int Hidden, int Out) : Module(Name)
{
    public static Model<TwoLayerMlp> Create(int hidden, int output) => Hk.Module(n => new TwoLayerMlp(n, hidden, output));

    public Model<Tensor> Call(Tensor x) => Method(
        from l1 in Dense.Create(Hidden)
        from h in l1.Call(x)
        from l2 in Dense.Create(Out)
        from y in l2.Call(torch.nn.functional.relu(h))
        select y, x);
}

public class SummaryTests
{
    [Fact]
    public void TabulatesATwoLayerMlp()
    {
        var f = Hk.Transform((Tensor x) => from m in TwoLayerMlp.Create(300, 10) from y in m.Call(x) select y);
        var table = Summary.Tabulate(f, torch.zeros(8, 784));

        Assert.Equal(3, table.Rows.Count);
        Assert.Equal(784 * 300 + 300 + 300 * 10 + 10, table.TotalParams);
        Assert.Equal(4 * table.TotalParams, table.TotalBytes);
        Assert.Equal(4, table.ParamTensors);
        // Counts checked by hand: 784*300+300 = 235,500; 300*10+10 = 3,010; 4 bytes each (954,040 B = 931.7 KB).
        Assert.Equal(
            "| Module                           | Method   | Input       | Output      |  Params |    Bytes |\n" +
            "|----------------------------------|----------|-------------|-------------|---------|----------|\n" +
            "| ~/TwoLayerMlp_0                  | __call__ | f32[8, 784] | f32[8, 10]  | 238,510 | 931.7 KB |\n" +
            "| ~/TwoLayerMlp_0/__call__/Dense_0 | __call__ | f32[8, 784] | f32[8, 300] | 235,500 | 919.9 KB |\n" +
            "| ~/TwoLayerMlp_0/__call__/Dense_1 | __call__ | f32[8, 300] | f32[8, 10]  |   3,010 |  11.8 KB |\n" +
            "Total: 238,510 parameters in 4 tensors, 931.7 KB\n",
            table.ToString());
        Assert.Equal([0, 1, 1], table.Rows.Select(r => r.Depth).ToArray());
    }

    [Fact]
    public void LibraryLayersShowTheirInputShapes()
    {
        var f = Hk.Transform((Tensor x) => from m in MiniHaiku.Layers.MLP.Create([3, 5]) from y in m.Call(x) select y);
        var table = Summary.Tabulate(f, torch.zeros(2, 4, dtype: float64).to_type(float32));
        Assert.Equal(["~/MLP_0", "~/MLP_0/__call__/Linear_0", "~/MLP_0/__call__/Linear_1"], table.Rows.Select(r => r.Module).ToArray());
        Assert.Equal(["f32[2, 4]", "f32[2, 4]", "f32[2, 3]"], table.Rows.Select(r => r.Input).ToArray());
        Assert.Equal(["f32[2, 5]", "f32[2, 3]", "f32[2, 5]"], table.Rows.Select(r => r.Output).ToArray());
        Assert.Equal([4L * 3 + 3 + 3 * 5 + 5, 15L, 20L], table.Rows.Select(r => r.ParamCount).ToArray());
    }

    [Fact]
    public void NetsShowTheirInputShapes()
    {
        // ResNet, its block groups and blocks, MobileNetV1 and its blocks pass their input to Method like the layers.
        var resnet = Hk.TransformWithState((Tensor x) =>
            from m in MiniHaiku.Nets.ResNet.Create([1, 1, 1, 1], 3, channelsPerGroup: [4, 4, 4, 4])
            from y in m.Call(x, isTraining: false)
            select y);
        var table = Summary.Tabulate(resnet, torch.zeros(1, 8, 8, 1));
        Assert.Equal("f32[1, 8, 8, 1]", table.Rows.Single(r => r.Module == "~/ResNet_0").Input);
        Assert.All(table.Rows, r => Assert.NotEqual("", r.Input));

        var mobile = Hk.TransformWithState((Tensor x) =>
            from m in MiniHaiku.Nets.MobileNetV1.Create([1, 2], [4, 8], numClasses: 3)
            from y in m.Call(x, false)
            select y);
        var mobileTable = Summary.Tabulate(mobile, torch.zeros(1, 8, 8, 1));
        Assert.Equal("f32[1, 8, 8, 1]", mobileTable.Rows.Single(r => r.Module == "~/MobileNetV1_0").Input);
        Assert.All(mobileTable.Rows, r => Assert.NotEqual("", r.Input));
    }

    [Fact]
    public void LayersWithExtraArgumentsShowTheirTensorInput()
    {
        // Conv2D, MaxPool, Flatten and Linear are Layers; BatchNorm (isTraining) and LSTM (state) pass their input themselves.
        var f = Hk.TransformWithState((Tensor x) =>
            from c in Conv2D.Create(4, 3).Call(x)
            from n in BatchNorm.Create().Call(c, isTraining: true)
            from p in MaxPool.Create(2).Call(n)
            from h in Flatten.Create().Call(p)
            from lstm in LSTM.Create(6)
            from r in lstm.Call(h, lstm.InitialState(2))
            from y in Linear.Create(3).Call(r.Output)
            select y);
        var table = Summary.Tabulate(f, torch.zeros(2, 8, 8, 1));
        Assert.Equal(
            [("~/Conv2D_0", "f32[2, 8, 8, 1]"), ("~/BatchNorm_0", "f32[2, 8, 8, 4]"), ("~/MaxPool_0", "f32[2, 8, 8, 4]"),
             ("~/Flatten_0", "f32[2, 4, 4, 4]"), ("~/LSTM_0", "f32[2, 64]"), ("~/LSTM_0/__call__/linear", "f32[2, 70]"), ("~/Linear_0", "f32[2, 6]")],
            table.Rows.Select(r => (r.Module, r.Input)).ToArray());
        Assert.Equal("f32[2, 4, 4, 4]", table.Rows[2].Output);
        Assert.DoesNotContain(table.Rows, r => r.Input == "");
    }

    [Fact]
    public void ModulesThatDoNotPassTheirInputShowOnlyOutputs()
    {
        // A user module may call Method without its input: the row is still there, with an empty Input.
        var f = Hk.Transform((Tensor x) => from m in Support.MLP.Create([3, 5]) from y in m.Call(x) select y);
        var table = Summary.Tabulate(f, torch.zeros(2, 4));
        Assert.All(table.Rows, r => Assert.Equal("", r.Input));
        Assert.Equal(["f32[2, 5]", "f32[2, 3]", "f32[2, 5]"], table.Rows.Select(r => r.Output).ToArray());
    }

    [Fact]
    public void RecordingIsOffInNormalRuns()
    {
        var f = Hk.Transform((Tensor x) => from m in TwoLayerMlp.Create(3, 2) from y in m.Call(x) select y);
        var x = torch.ones(1, 4);
        Assert.Null(Frame.ForInit(0).MethodCalls);
        var (_, frame) = f.Function(x).Run(Frame.ForInit(0));
        Assert.Null(frame.MethodCalls);
        var (_, applied) = f.Function(x).Run(Frame.ForApply(f.Init(0, x)));
        Assert.Null(applied.MethodCalls);
    }

    [Fact]
    public void DescribesTuplesAndDtypes()
    {
        Assert.Equal("(f64[2], i64[], [bool[3, 1]])",
            ValueShapes.Describe((torch.zeros(2, dtype: float64), torch.tensor(1L), new[] { torch.zeros([3, 1], dtype: ScalarType.Bool) })));
    }
}
