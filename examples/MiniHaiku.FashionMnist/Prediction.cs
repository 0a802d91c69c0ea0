using MiniHaiku.Data;

namespace MiniHaiku.FashionMnistExample;

/// <summary>The classifier's answer for one image.</summary>
/// <param name="Name">The image (file, or file[index]).</param>
/// <param name="Probabilities">The softmax probability of each of the 10 classes.</param>
public sealed record Prediction(string Name, IReadOnlyList<double> Probabilities)
{
    /// <summary>The most probable class.</summary>
    public int Class => Probabilities.Select((p, i) => (p, i)).MaxBy(t => t.p).i;

    /// <summary>The name of <see cref="Class"/>.</summary>
    public string ClassName => FashionMnist.ClassNames[Class];

    /// <summary>The <paramref name="k"/> most probable classes, best first.</summary>
    /// <param name="k">How many.</param>
    /// <returns>Class indices and probabilities.</returns>
    public IReadOnlyList<(int Class, double Probability)> Top(int k) =>
        Probabilities.Select((p, i) => (i, p)).OrderByDescending(t => t.p).ThenBy(t => t.i).Take(k).ToList();
}
