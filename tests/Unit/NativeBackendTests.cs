namespace MiniHaiku.Tests;

/// <summary>In an application (this test host, started with its deps.json) the build has fixed TorchSharp's
/// library when needed, so <see cref="NativeBackend.Prepare"/> leaves loading to TorchSharp. The script path
/// (dotnet fsi, a private cached copy) is checked end to end by the consumer test in .ci/run.</summary>
public class NativeBackendTests
{
    [Fact]
    public void AnApplicationWithFixedNativesIsLeftToTorchSharp()
    {
        var outcome = NativeBackend.Prepare();
        Assert.Same(outcome, NativeBackend.Prepare()); // once per process
        if (!OperatingSystem.IsLinux())
            Assert.Equal("MiniHaiku: nothing to do: not linux-x64.", outcome);
        else
            Assert.StartsWith("MiniHaiku: nothing to do: ", outcome);
        using var t = torch.ones(2, 3);
        Assert.Equal(6f, t.sum().item<float>());
    }
}
