using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Summaries;

/// <summary>
/// Summaries of a transformed model, like <c>hk.experimental.tabulate</c>: each module method call
/// with its input and output shapes and the size of its parameters.
/// </summary>
public static class Summary
{
    /// <summary>
    /// Runs <c>Init</c> on <paramref name="input"/> with method-call recording on and tabulates every
    /// module call. Temporary tensors (the parameters created) are disposed before returning.
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="model">The transformed model.</param>
    /// <param name="input">An example input.</param>
    /// <param name="seed">The seed for <c>Init</c> (does not affect the table).</param>
    /// <returns>The table.</returns>
    public static SummaryTable Tabulate<TIn, TOut>(Transformed<TIn, TOut> model, TIn input, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Run(model.Function, input, seed, withState: false);
    }

    /// <summary>Like <see cref="Tabulate{TIn, TOut}(Transformed{TIn, TOut}, TIn, long)"/> for a stateful model.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The output type.</typeparam>
    /// <param name="model">The transformed model.</param>
    /// <param name="input">An example input.</param>
    /// <param name="seed">The seed for <c>Init</c>.</param>
    /// <returns>The table.</returns>
    public static SummaryTable Tabulate<TIn, TOut>(TransformedWithState<TIn, TOut> model, TIn input, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Run(model.Function, input, seed, withState: true);
    }

    private static SummaryTable Run<TIn, TOut>(Func<TIn, Model<TOut>> function, TIn input, long seed, bool withState)
    {
        using var scope = torch.NewDisposeScope();
        var frame = Frame.ForInit(RngKey.FromSeed(seed), withState, recordCalls: true);
        var final = function(input).Run(frame).Frame;
        var sizes = final.Params.Select(kv => (Path: kv.Key, Count: kv.Value.numel(), Bytes: kv.Value.numel() * kv.Value.ElementSize)).ToList();
        var rows = final.MethodCalls!.Select(call =>
        {
            var prefix = call.ModulePath + "/";
            long count = 0, bytes = 0;
            foreach (var s in sizes)
                if (s.Path.StartsWith(prefix, StringComparison.Ordinal))
                {
                    count += s.Count;
                    bytes += s.Bytes;
                }
            return new SummaryRow(call.ModulePath, call.Method, call.Depth, call.Input ?? "", call.Output ?? "", count, bytes);
        }).ToList();
        return new SummaryTable(rows, sizes.Count, sizes.Sum(s => s.Count), sizes.Sum(s => s.Bytes));
    }
}
