using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>Checks made where tensors enter the library, before TorchSharp could fail on them opaquely.</summary>
internal static class TensorChecks
{
    /// <summary>Throws <see cref="DisposedTensorException"/> when <paramref name="t"/> was disposed.</summary>
    /// <param name="t">The tensor.</param>
    /// <param name="what">Which tensor, for the message (e.g. <c>parameter '~/w'</c>).</param>
    public static void RequireAlive(Tensor t, string what)
    {
        if (t.IsInvalid) throw new DisposedTensorException(what);
    }

    /// <summary>
    /// Like <see cref="RequireAlive(Tensor, string)"/> for an interpolated description, which is formatted only when
    /// <paramref name="t"/> was disposed: these checks sit on hot paths (every GetParam of an Apply, every layer
    /// call, every optimizer Update), where formatting the message eagerly allocated on every call.
    /// </summary>
    /// <param name="t">The tensor.</param>
    /// <param name="what">Which tensor, e.g. <c>$"parameter '{path}'"</c>; formatted only on failure.</param>
    public static void RequireAlive(Tensor t, [InterpolatedStringHandlerArgument(nameof(t))] ref DisposedDescription what)
    {
        if (t.IsInvalid) throw new DisposedTensorException(what.ToStringAndClear());
    }

    /// <summary>The description of a tensor for <see cref="DisposedTensorException"/>, built only when the tensor was disposed.</summary>
    [InterpolatedStringHandler]
    public ref struct DisposedDescription
    {
        private DefaultInterpolatedStringHandler inner;

        /// <summary>Starts the description; <paramref name="shouldAppend"/> is false (nothing is formatted) for a live tensor.</summary>
        public DisposedDescription(int literalLength, int formattedCount, Tensor t, out bool shouldAppend)
        {
            shouldAppend = t.IsInvalid;
            inner = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
        }

        /// <summary>Appends literal text.</summary>
        public void AppendLiteral(string value) => inner.AppendLiteral(value);

        /// <summary>Appends a formatted value.</summary>
        public void AppendFormatted<T>(T value) => inner.AppendFormatted(value);

        /// <summary>The description.</summary>
        public string ToStringAndClear() => inner.ToStringAndClear();
    }

    /// <summary>
    /// Checks every tensor directly in a model input (a tensor, or a tuple of tensors and other values)
    /// for disposal. Other input types are left to the model.
    /// </summary>
    /// <param name="input">The input given to Init or Apply.</param>
    /// <param name="where">The entry point, e.g. <c>Apply</c>.</param>
    public static void RequireAliveInput(object? input, string where)
    {
        switch (input)
        {
            case Tensor t:
                RequireAlive(t, $"the input of {where}");
                break;
            case ITuple tuple:
                for (var i = 0; i < tuple.Length; i++)
                    if (tuple[i] is Tensor item) RequireAlive(item, $"item {i + 1} of the input of {where}");
                break;
        }
    }
}
