using Akka.TestKit.Xunit2;
using Loom.Actors.Protocol;
using Loom.Actors.Running;
using Loom.Core.Runtime;

namespace Loom.Actors.Tests.Running;

public sealed class StepOutputRelayTests : TestKit
{
    [Fact]
    public void Lines_printed_before_the_step_is_announced_wait_and_then_go_in_order()
    {
        var scheduler = CreateTestProbe();
        var relay = new StepOutputRelay(scheduler.Ref, "a", 0, new SecretMasker());
        relay.Relay("first");
        relay.Relay("second");
        scheduler.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        relay.Announced();
        relay.Relay("third");
        Assert.Equal(["first", "second", "third"], Enumerable.Range(0, 3).Select(_ => scheduler.ExpectMsg<SchedulerProtocol.StepOutput>().Line));
    }
}
