namespace Loom.Core.Runtime;

/// <summary>The <c>loom.sha</c>, <c>loom.ref</c>, <c>loom.ref_name</c> and <c>loom.repository</c> values of a
/// workspace; all empty outside a git checkout. A detached HEAD has a sha and an empty ref; a branch
/// without commits has a ref and an empty sha.</summary>
public sealed record CheckoutInfo(string Sha, string Ref, string RefName, string Repository)
{
    public static CheckoutInfo None { get; } = new("", "", "", "");
}
