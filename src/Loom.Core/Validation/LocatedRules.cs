using FluentValidation;
using FluentValidation.Results;
using Loom.Core.Diagnostics;
using Loom.Core.Model;
using Loom.Core.Parsing;

namespace Loom.Core.Validation;

/// <summary>
/// Rules shared by the validators. Every failure carries its <see cref="SourceLocation"/> as custom state.
/// Messages that quote user text go through <see cref="Report{T}"/>, which bypasses FluentValidation's
/// placeholder formatting, so a key like <c>{PropertyName}</c> is shown as written.
/// </summary>
internal static class LocatedRules
{
    public static void Report<T>(this ValidationContext<T> context, SourceLocation location, string message) =>
        context.AddFailure(new ValidationFailure(context.PropertyPath, message) { CustomState = location });

    public static IRuleBuilderOptions<T, YamlNode?> PositiveNumber<T>(this IRuleBuilder<T, YamlNode?> rule, string key) =>
        rule.ScalarMust(scalar => ScalarValues.TryPositiveNumber(scalar, out _), $"'{key}' must be a positive number");

    public static IRuleBuilderOptions<T, YamlNode?> PositiveInteger<T>(this IRuleBuilder<T, YamlNode?> rule, string key) =>
        rule.ScalarMust(scalar => ScalarValues.TryPositiveInteger(scalar, out _), $"'{key}' must be a positive integer");

    public static IRuleBuilderOptions<T, YamlNode?> Boolean<T>(this IRuleBuilder<T, YamlNode?> rule, string key) =>
        rule.ScalarMust(scalar => ScalarValues.TryBoolean(scalar, out _), $"'{key}' must be true or false");

    /// <summary>
    /// An <c>if</c> must parse. The parser's offset is exact only in a plain one-line scalar, where the value is
    /// the source text; elsewhere (quotes, escapes, folding) the error points at the scalar.
    /// </summary>
    public static IRuleBuilderOptionsConditions<T, ScalarNode?> ValidCondition<T>(this IRuleBuilder<T, ScalarNode?> rule) =>
        rule.Custom((node, context) =>
        {
            if (node is null || Condition.TryParse(node.Value, out var error, out var offset) is not null)
                return;
            var location = node.IsPlain && node.IsSingleLine
                ? node.Location with { Column = node.Location.Column + offset }
                : node.Location;
            context.Report(location, error!);
        });

    /// <summary>An absent value passes, and so does one holding <c>${{ }}</c>: the reader already reported it.</summary>
    private static IRuleBuilderOptions<T, YamlNode?> ScalarMust<T>(this IRuleBuilder<T, YamlNode?> rule, Func<ScalarNode, bool> isValid, string message) =>
        rule.Must(node => node is null or ScalarNode { HasExpression: true } || (node is ScalarNode scalar && isValid(scalar)))
            .WithMessage(message)
            .WithState((_, node) => node!.Location);

    public static void AddTo(this ValidationResult result, DiagnosticBag errors)
    {
        foreach (var failure in result.Errors)
            errors.Add((SourceLocation)failure.CustomState, failure.ErrorMessage);
    }
}
