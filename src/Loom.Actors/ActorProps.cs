using Akka.Actor;

namespace Loom.Actors;

/// <summary>
/// Props for Loom's local actors that call the actor's constructor directly. <c>Props.Create(() => new X(...))</c>
/// builds an expression tree on every call and creates the actor by reflection; a runner is
/// created for every job, so that cost is paid per job.
/// </summary>
public static class ActorProps
{
    public static Props Of<TActor>(Func<TActor> create) where TActor : ActorBase =>
        Props.CreateBy(new Producer<TActor>(create));

    private sealed class Producer<TActor>(Func<TActor> create) : IIndirectActorProducer where TActor : ActorBase
    {
        public Type ActorType => typeof(TActor);

        public ActorBase Produce() => create();

        public void Release(ActorBase actor)
        {
        }
    }
}
