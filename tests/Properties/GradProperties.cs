using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace MiniHaiku.Tests.Properties;

public class GradProperties
{
    /// <summary>ValueAndGrad never changes its inputs: values, dtype, shape and requires_grad stay bitwise identical.</summary>
    [Property(MaxTest = 50)]
    public bool ValueAndGradLeavesInputsBitwiseUnchanged(PositiveInt seed, bool createGraph, bool requiresGrad)
    {
        using var g = new torch.Generator((ulong)seed.Get);
        var n = 1 + seed.Get % 4;
        var entries = Enumerable.Range(0, n).Select(i => new KeyValuePair<string, Tensor>(
            $"~/m{i}/w", torch.randn([1 + i, 2], i % 2 == 0 ? float32 : float64, generator: g).requires_grad_(requiresGrad)));
        var p = Params.Create(entries.ToList());
        var copies = p.Map(t => t.detach().clone());
        var before = p.Values.Select(t => t.requires_grad).ToArray();

        var (value, grads) = Grad.ValueAndGrad(q => q.Values.Select(t => (t * t).sum().to_type(float64) + torch.sin(t).sum()).Aggregate((a, b) => a + b), createGraph)(p);

        return p.BitwiseEquals(copies)
            && p.Values.Select(t => t.requires_grad).SequenceEqual(before)
            && p.Values.All(t => t.grad is null)
            && grads.Count == p.Count
            && value.numel() == 1;
    }
}
