using System.Text;
using Loom.Actors.Execution;

namespace Loom.Actors.Tests.Execution;

public sealed class StepProcessTests
{
    [Theory]
    [InlineData("exit 0", 0)]
    [InlineData("exit 3", 3)]
    [InlineData("false", 1)]
    [InlineData("echo hi; exit 255", 255)]
    [InlineData("kill -TERM $$", 143)]
    public async Task Reports_the_exit_code_as_a_shell_does(string run, int exitCode)
    {
        var result = await Steps.RunAsync(run);

        Assert.Equal(exitCode, result.Exit.ExitCode);
        Assert.False(result.Exit.TimedOut);
        Assert.False(result.Exit.Killed);
        Assert.Null(result.Exit.StartError);
    }

    [Fact]
    public async Task Keeps_stdout_and_stderr_in_the_order_they_were_written()
    {
        var result = await Steps.RunAsync("echo out1; echo err1 >&2; echo out2; echo err2 >&2; printf 'no newline' >&2");

        Assert.Equal(["out1", "err1", "out2", "err2", "no newline"], result.Lines);
    }

    [Fact]
    public async Task Bash_fails_a_pipeline_on_any_failure_but_the_default_shell_does_not()
    {
        Assert.Equal(1, (await Steps.RunAsync("false | true", shell: "bash")).Exit.ExitCode);
        Assert.Equal(0, (await Steps.RunAsync("false | true")).Exit.ExitCode);
    }

    [Fact]
    public async Task The_default_shell_stops_at_the_first_failing_command()
    {
        var result = await Steps.RunAsync("echo one; false; echo two");

        Assert.Equal(1, result.Exit.ExitCode);
        Assert.Equal(["one"], result.Lines);
    }

    [Fact]
    public async Task Sh_runs_the_script_with_sh()
    {
        var result = await Steps.RunAsync("if [ -n \"${BASH_VERSION:-}\" ]; then echo bash; else echo posix; fi; false; echo after", shell: "sh");

        Assert.Equal(1, result.Exit.ExitCode);
        var bashIsSh = Path.GetFileName(FileSystemPaths.RealPath("/bin/sh")) == "bash";
        Assert.Equal([bashIsSh ? "bash" : "posix"], result.Lines);
    }

    [Fact]
    public async Task Python_runs_the_script_with_python3()
    {
        var result = await Steps.RunAsync("import sys\nprint('python', sys.version_info[0])\nsys.exit(4)", shell: "python");

        Assert.Equal(4, result.Exit.ExitCode);
        Assert.Equal(["python 3"], result.Lines);
    }

    [Fact]
    public async Task A_custom_template_runs_its_program_with_the_script_in_place_of_the_placeholder()
    {
        var result = await Steps.RunAsync("echo hi", shell: "bash -x {0}");

        Assert.Equal(0, result.Exit.ExitCode);
        Assert.Equal(["+ echo hi", "hi"], result.Lines);
    }

    [Fact]
    public async Task Pwsh_runs_the_script_and_fails_on_a_failing_command()
    {
        var env = Steps.Environment();
        Assert.True(ExecutableLookup.Find("pwsh", env["PATH"], "/") is not null,
            "pwsh is not on PATH: tests/run.sh installs it with 'dotnet tool install --global PowerShell'");

        var ok = await Steps.RunAsync("Write-Output \"pwsh $($PSVersionTable.PSVersion.Major)\"", shell: "pwsh");
        var native = await Steps.RunAsync("bash -c 'exit 5'\nWrite-Output after", shell: "pwsh");
        var exited = await Steps.RunAsync("exit 7", shell: "pwsh");
        var thrown = await Steps.RunAsync("throw 'boom'\nWrite-Output never", shell: "pwsh");

        Assert.Equal(0, ok.Exit.ExitCode);
        Assert.StartsWith("pwsh ", Assert.Single(ok.Lines));
        // As in GitHub: the last native command's code once the script ends.
        Assert.Equal(5, native.Exit.ExitCode);
        Assert.Contains("after", native.Lines);
        Assert.Equal(7, exited.Exit.ExitCode);
        Assert.Equal(1, thrown.Exit.ExitCode);
        Assert.DoesNotContain("never", thrown.Lines);
    }

    [Fact]
    public async Task Runs_in_the_working_directory()
    {
        using var directory = new Steps.TempDirectory();
        var result = await Steps.RunAsync("pwd -P; ls", directory: directory.Path);

        Assert.Equal(0, result.Exit.ExitCode);
        Assert.Equal([directory.Path], result.Lines);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_environment_is_exactly_the_given_one(bool fastPath)
    {
        var env = Steps.Environment(("LOOM_TEST_GIVEN", "a b=c"), ("EMPTY", ""));
        Environment.SetEnvironmentVariable("LOOM_TEST_NOT_PASSED", "leak");
        Steps.Result result;
        try
        {
            result = await Steps.RunAsync("env", env: env, fastPath: fastPath);
        }
        finally
        {
            Environment.SetEnvironmentVariable("LOOM_TEST_NOT_PASSED", null);
        }

        Assert.Equal(0, result.Exit.ExitCode);
        var names = result.Lines.Select(line => line[..line.IndexOf('=')]).ToHashSet();
        Assert.Contains("LOOM_TEST_GIVEN=a b=c", result.Lines);
        Assert.Contains("EMPTY=", result.Lines);
        Assert.DoesNotContain("LOOM_TEST_NOT_PASSED", names);
        // Only what bash itself adds for the commands it runs.
        Assert.Empty(names.Except(env.Keys).Except(["PWD", "SHLVL", "_"]));
    }

    [Fact]
    public async Task The_script_is_private_outside_the_working_directory_and_removed_afterwards()
    {
        using var directory = new Steps.TempDirectory();
        var result = await Steps.RunAsync("stat -c %a \"$0\"; stat -c %a \"$(dirname \"$0\")\"; echo \"$0\"", directory: directory.Path);

        Assert.Equal(0, result.Exit.ExitCode);
        var (fileMode, folderMode, script) = (result.Lines[0], result.Lines[1], result.Lines[2]);
        Assert.Equal("600", fileMode);
        Assert.Equal("700", folderMode);
        Assert.EndsWith(".sh", script);
        Assert.Equal(ScriptFiles.Directory, Path.GetDirectoryName(script));
        Assert.False(script.StartsWith(directory.Path, StringComparison.Ordinal));
        Assert.False(File.Exists(script));
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_tree()
    {
        var step = StepProcess.Start(Steps.Launch("sleep 300 & sleep 300 & wait", timeout: TimeSpan.FromMilliseconds(500)), _ => { });
        var pgid = step.Identity!.Value.Pid;
        await Steps.EventuallyAsync(() => Steps.GroupMembers(pgid).Count == 3, "the shell and both sleeps");

        var exit = await step.Completion.WaitAsync(Steps.Patience);

        Assert.True(exit.TimedOut);
        Assert.False(exit.Killed);
        Assert.Equal(137, exit.ExitCode);
        await Steps.EventuallyAsync(() => Steps.GroupMembers(pgid).Count == 0, "the group to be gone");
    }

    [Fact]
    public async Task Kill_kills_the_whole_tree_at_once()
    {
        var step = StepProcess.Start(Steps.Launch("sleep 300 & sleep 300 & wait"), _ => { });
        var pgid = step.Identity!.Value.Pid;
        await Steps.EventuallyAsync(() => Steps.GroupMembers(pgid).Count == 3, "the shell and both sleeps");

        step.Kill();
        step.Kill();
        var exit = await step.Completion.WaitAsync(Steps.Patience);

        Assert.True(exit.Killed);
        Assert.False(exit.TimedOut);
        Assert.Equal(137, exit.ExitCode);
        await Steps.EventuallyAsync(() => Steps.GroupMembers(pgid).Count == 0, "the group to be gone");
    }

    [Fact]
    public async Task Kill_after_the_end_changes_nothing()
    {
        var step = StepProcess.Start(Steps.Launch("exit 4"), _ => { });
        var exit = await step.Completion.WaitAsync(Steps.Patience);

        step.Kill();
        await step.DisposeAsync();

        Assert.Same(exit, await step.Completion);
        Assert.Equal(new StepExit(4, false, false, exit.Duration, null), exit);
    }

    // Each test its own: a starter that waits far longer than any of these steps takes to end or to print.
    private static QuickExitWait LongQuickWait => new(TimeSpan.FromSeconds(20), maxSteps: 4);

    [Theory]
    [InlineData("true", true, 0)]
    [InlineData("false", true, 1)]
    [InlineData("exit 3", false, 3)]
    public async Task A_step_that_ends_without_output_within_the_wait_is_over_when_Start_returns(string run, bool fastPath, int exitCode)
    {
        var lines = new List<string>();
        var step = StepProcess.Start(Steps.Launch(run), lines.Add, fastPath, quickExitWait: LongQuickWait);

        Assert.True(step.Completion.IsCompletedSuccessfully);
        var exit = await step.Completion;
        Assert.Equal(new StepExit(exitCode, false, false, exit.Duration, null), exit);
        Assert.Empty(lines);
        // Reaped, not left a zombie, and its group signalled as on the reactor's path.
        Assert.False(ProcessTree.TryReadStat(step.Identity!.Value.Pid, out _));
    }

    [Fact]
    public async Task The_starter_hears_of_the_process_before_its_end_is_handled()
    {
        var seen = new List<(bool Completed, bool Exists)>();
        var step = StepProcess.Start(Steps.Launch("exit 0"), _ => { }, allowFastPath: true,
            onStarted: started => seen.Add((started.Completion.IsCompleted, ProcessTree.TryReadStat(started.Identity!.Value.Pid, out _))),
            quickExitWait: LongQuickWait);

        await step.Completion.WaitAsync(Steps.Patience);
        // Not yet reaped when the caller heard of it (so a ledger written then names a real process), complete after.
        Assert.Equal([(false, true)], seen);
    }

    [Fact]
    public async Task A_step_that_prints_and_runs_on_is_handed_over_when_the_wait_is_spent_and_every_line_arrives()
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        // Never ends by itself: Start returns once the wait's 300 ms are spent, and the lines printed meanwhile follow.
        await using var step = StepProcess.Start(Steps.Launch("echo one; sleep 0.5; echo two; exec sleep 300"), lines.Enqueue, allowFastPath: true,
            quickExitWait: new QuickExitWait(TimeSpan.FromMilliseconds(300), maxSteps: 4));

        Assert.False(step.Completion.IsCompleted);
        await Steps.EventuallyAsync(() => lines.Count == 2, "both lines");
        step.Kill();
        Assert.True((await step.Completion.WaitAsync(Steps.Patience)).Killed);
        Assert.Equal(["one", "two"], lines);
    }

    [Fact]
    public async Task A_step_that_prints_and_ends_within_the_wait_has_every_line_delivered()
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var step = StepProcess.Start(Steps.Launch("echo one; echo two; exit 2"), lines.Enqueue, allowFastPath: true, quickExitWait: LongQuickWait);

        var exit = await step.Completion.WaitAsync(Steps.Patience);
        Assert.Equal(2, exit.ExitCode);
        Assert.Equal(["one", "two"], lines);
    }

    [Fact]
    public async Task A_quiet_step_that_outlives_the_wait_is_seen_to_end_by_the_reactor()
    {
        var step = StepProcess.Start(Steps.Launch("sleep 0.3; exit 5"), _ => { }, allowFastPath: true, quickExitWait: new QuickExitWait(TimeSpan.FromMilliseconds(1), maxSteps: 4));

        var exit = await step.Completion.WaitAsync(Steps.Patience);
        Assert.Equal(5, exit.ExitCode);
        Assert.True(exit.Duration >= TimeSpan.FromMilliseconds(300), $"took {exit.Duration}");
    }

    [Fact]
    public async Task The_starter_does_not_wait_while_more_steps_run_than_it_allows()
    {
        var quickExit = new QuickExitWait(TimeSpan.FromSeconds(2), maxSteps: 1);
        // Waited for (two seconds), then handed over: one step running.
        await using var running = StepProcess.Start(Steps.Launch("exec sleep 300"), _ => { }, allowFastPath: true, quickExitWait: quickExit);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var quiet = StepProcess.Start(Steps.Launch("sleep 300"), _ => { }, allowFastPath: true, quickExitWait: quickExit);
        var returned = clock.Elapsed;

        // Handed to the reactor at once: waiting, Start would have returned only after the two seconds.
        Assert.True(returned < TimeSpan.FromSeconds(2), $"Start returned after {returned}");
        Assert.False(quiet.Completion.IsCompleted);
        quiet.Kill();
        Assert.True((await quiet.Completion.WaitAsync(Steps.Patience)).Killed);
    }

    [Fact]
    public async Task A_leader_that_ends_while_a_background_child_holds_the_output_is_handed_to_the_reactor_when_the_wait_is_spent()
    {
        var step = StepProcess.Start(Steps.Launch("sleep 300 & exit 0"), _ => { }, allowFastPath: true,
            quickExitWait: new QuickExitWait(TimeSpan.FromMilliseconds(300), maxSteps: 4));

        // The pipe never hangs up while the child lives: the reactor's drain ends the group.
        var exit = await step.Completion.WaitAsync(Steps.Patience);
        Assert.Equal(0, exit.ExitCode);
        await Steps.EventuallyAsync(() => Steps.GroupMembers(step.Identity!.Value.Pid).Count == 0, "the group to be gone");
    }

    [Fact]
    public async Task A_starter_that_fails_to_record_the_process_leaves_nothing_running()
    {
        int? pid = null;
        var thrown = Assert.Throws<InvalidOperationException>(() => StepProcess.Start(Steps.Launch("sleep 300"), _ => { }, allowFastPath: true,
            onStarted: started =>
            {
                pid = started.Identity!.Value.Pid;
                throw new InvalidOperationException("ledger");
            },
            quickExitWait: LongQuickWait));

        Assert.Equal("ledger", thrown.Message);
        await Steps.EventuallyAsync(() => !Steps.IsAlive(pid!.Value), "the step to be killed");
    }

    [Fact]
    public async Task Background_children_of_a_finished_step_are_killed_and_do_not_hold_it_open()
    {
        var result = await Steps.RunAsync("sleep 300 & echo \"$!\"");

        Assert.Equal(0, result.Exit.ExitCode);
        Assert.True(result.Exit.Duration < TimeSpan.FromSeconds(5), $"took {result.Exit.Duration}");
        var sleeper = int.Parse(Assert.Single(result.Lines));
        await Steps.EventuallyAsync(() => !Steps.IsAlive(sleeper), "the background sleep to die");
        Assert.Empty(Steps.GroupMembers(result.Identity!.Value.Pid));
    }

    [Fact]
    public async Task A_double_forked_grandchild_is_killed_too()
    {
        var result = await Steps.RunAsync("( sleep 300 & echo \"$!\" ) & wait");

        Assert.Equal(0, result.Exit.ExitCode);
        var grandchild = int.Parse(Assert.Single(result.Lines));
        await Steps.EventuallyAsync(() => !Steps.IsAlive(grandchild), "the grandchild to die");
    }

    [Fact]
    public async Task A_background_job_in_its_own_group_that_holds_the_output_is_killed_by_session()
    {
        var result = await Steps.RunAsync("set -m; sleep 300 & echo \"$!\"");

        Assert.Equal(0, result.Exit.ExitCode);
        var job = int.Parse(Assert.Single(result.Lines));
        await Steps.EventuallyAsync(() => !Steps.IsAlive(job), "the job to die");
        Assert.Empty(Steps.SessionMembers(result.Identity!.Value.Pid));
    }

    [Fact]
    public async Task A_process_that_left_the_session_cannot_hold_the_step_open()
    {
        var result = await Steps.RunAsync("setsid sleep 300 & echo \"$!\"");
        var escaped = int.Parse(Assert.Single(result.Lines));
        try
        {
            Assert.Equal(0, result.Exit.ExitCode);
            Assert.True(result.Exit.Duration < TimeSpan.FromSeconds(10), $"took {result.Exit.Duration}");
        }
        finally
        {
            ProcessTree.KillGroup(new ProcessIdentity(escaped, ProcessTree.TryReadStat(escaped, out var stat) ? stat.StartTime : 0));
        }
    }

    [Theory]
    [InlineData("nosuch-shell-9f2 {0}", "shell 'nosuch-shell-9f2' not found")]
    [InlineData("zsh", "shell 'zsh' is not supported")]
    [InlineData("python3", "shell 'python3' is not supported")]
    public async Task A_missing_or_unknown_shell_is_a_start_error(string shell, string message)
    {
        var result = await Steps.RunAsync("echo hi", shell: shell);

        Assert.Equal(127, result.Exit.ExitCode);
        Assert.StartsWith(message, result.Exit.StartError);
        Assert.Null(result.Identity);
        Assert.Empty(result.Lines);
    }

    [Fact]
    public async Task A_missing_shell_on_the_steps_path_is_a_start_error_even_if_loom_has_it()
    {
        var result = await Steps.RunAsync("echo hi; echo there", shell: "bash", env: Steps.Environment(("PATH", "/nonexistent")));

        Assert.Equal(127, result.Exit.ExitCode);
        Assert.Equal("shell 'bash' not found", result.Exit.StartError);
    }

    [Fact]
    public async Task A_missing_working_directory_is_a_start_error()
    {
        var result = await Steps.RunAsync("true", directory: "/nonexistent/loom");

        Assert.Equal(127, result.Exit.ExitCode);
        Assert.Equal("working directory '/nonexistent/loom' does not exist", result.Exit.StartError);
    }

    [Fact]
    public async Task An_environment_variable_a_process_cannot_receive_is_a_start_error()
    {
        var result = await Steps.RunAsync("true", env: Steps.Environment(("A=B", "c")));

        Assert.Equal(127, result.Exit.ExitCode);
        Assert.Equal("environment variable 'A=B' cannot be passed to a process", result.Exit.StartError);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_missing_command_fails_with_127_and_the_shells_message(bool fastPath)
    {
        var result = await Steps.RunAsync("nosuch-command-3d1 --flag", fastPath: fastPath);

        Assert.Equal(127, result.Exit.ExitCode);
        Assert.Null(result.Exit.StartError);
        Assert.Matches($"^{ScriptFiles.Directory}/[0-9a-f]{{16}}\\.sh: line 1: nosuch-command-3d1: command not found$", Assert.Single(result.Lines));
    }

    [Theory]
    [InlineData("seq 1 5000")]
    [InlineData("i=1; while [ $i -le 5000 ]; do echo $i; i=$((i+1)); done")]
    public async Task Delivers_every_line_in_order(string run)
    {
        var result = await Steps.RunAsync(run);

        Assert.Equal(0, result.Exit.ExitCode);
        Assert.Equal(Enumerable.Range(1, 5000).Select(i => i.ToString()), result.Lines);
    }

    [Fact]
    public async Task Invalid_utf8_is_replaced_not_thrown()
    {
        var result = await Steps.RunAsync("printf 'a\\377\\376b\\n\\303'");

        Assert.Equal(0, result.Exit.ExitCode);
        Assert.Equal(["a\uFFFD\uFFFDb", "\uFFFD"], result.Lines);
    }

    [Fact]
    public async Task Lines_longer_than_64_KiB_are_split_and_carriage_returns_dropped()
    {
        var result = await Steps.RunAsync("head -c 70000 /dev/zero | tr '\\0' a; printf '\\r\\nwindows\\r\\n\\nlast'");

        Assert.Equal(0, result.Exit.ExitCode);
        Assert.Equal([new string('a', 65536), new string('a', 70000 - 65536), "windows", "", "last"], result.Lines);
    }

    [Fact]
    public async Task A_throwing_callback_ends_the_step_and_faults_completion()
    {
        var step = StepProcess.Start(Steps.Launch("echo boom; sleep 300"), _ => throw new InvalidOperationException("callback"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => step.Completion.WaitAsync(Steps.Patience));

        Assert.Equal("callback", error.Message);
        await Steps.EventuallyAsync(() => Steps.GroupMembers(step.Identity!.Value.Pid).Count == 0, "the step to be killed");
    }

    [Fact]
    public async Task A_callback_throwing_on_the_last_unterminated_line_faults_completion()
    {
        var step = StepProcess.Start(Steps.Launch("printf last"), _ => throw new InvalidOperationException("last"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => step.Completion.WaitAsync(Steps.Patience));

        Assert.Equal("last", error.Message);
    }

    [Fact]
    public async Task DisposeAsync_kills_a_running_step_and_removes_its_script()
    {
        var lines = new List<string>();
        var started = new TaskCompletionSource();
        var step = StepProcess.Start(Steps.Launch("echo \"$0\"; sleep 300"), line =>
        {
            lines.Add(line);
            started.TrySetResult();
        });
        await started.Task.WaitAsync(Steps.Patience);

        await step.DisposeAsync();

        Assert.True((await step.Completion).Killed);
        Assert.False(File.Exists(lines[0]));
    }

    [Fact]
    public async Task Identity_is_the_leaders_pid_and_start_time()
    {
        var step = StepProcess.Start(Steps.Launch("sleep 300"), _ => { });
        try
        {
            var identity = step.Identity!.Value;
            Assert.True(ProcessTree.TryReadStat(identity.Pid, out var stat));
            Assert.Equal(stat.StartTime, identity.StartTimeTicks);
            Assert.Equal(identity.Pid, stat.ProcessGroup);
            Assert.Equal(identity.Pid, stat.Session);
        }
        finally
        {
            await step.DisposeAsync();
        }
    }

    [Fact]
    public async Task Identity_taken_from_the_clock_matches_proc_step_after_step()
    {
        // Some of these spawns straddle a clock tick and read /proc instead; every one must match it.
        for (var i = 0; i < 200; i++)
        {
            var step = StepProcess.Start(Steps.Launch("sleep 300"), _ => { });
            try
            {
                var identity = step.Identity!.Value;
                Assert.True(ProcessTree.TryReadStat(identity.Pid, out var stat));
                Assert.Equal(stat.StartTime, identity.StartTimeTicks);
            }
            finally
            {
                await step.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Quick_steps_report_exit_codes_and_output_whichever_of_exit_and_end_of_output_is_seen_first()
    {
        // Exit and end of output come moments apart, on the reactor or on a pool thread: every order must give the same result.
        (string Run, int Code, int Lines)[] launches = [("true", 0, 0), ("false", 1, 0), ("echo hi; exit 3", 3, 1)];
        async Task Chain(int offset)
        {
            for (var i = 0; i < 60; i++)
            {
                var (run, code, lines) = launches[(i + offset) % launches.Length];
                var result = await Steps.RunAsync(run);
                Assert.Equal(code, result.Exit.ExitCode);
                Assert.Equal(lines, result.Lines.Count);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(Chain));
    }

    [Fact]
    public async Task The_step_starts_with_default_signal_handling_and_no_terminal()
    {
        // .NET ignores SIGPIPE; a step must not inherit that, or `yes | head` never ends.
        var result = await Steps.RunAsync("grep -E '^(SigIgn|SigBlk)' /proc/self/status; yes | head -n 1; tty || true");

        Assert.Equal(["SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000", "y", "not a tty"], result.Lines);
    }

    [Fact]
    public async Task Stdin_is_empty()
    {
        var result = await Steps.RunAsync("cat; echo done; readlink /proc/$$/fd/0; echo x >&0 2>/dev/null || echo read-only");

        Assert.Equal(["done", "/dev/null", "read-only"], result.Lines);
    }

    [Fact]
    public async Task A_step_gets_none_of_Looms_own_descriptors()
    {
        using var directory = new Steps.TempDirectory();
        using var own = File.Create(Path.Combine(directory.Path, "loom-own"));
        var ownFd = own.SafeFileHandle.DangerousGetHandle().ToString();

        var result = await Steps.RunAsync("cd /proc/$$/fd && echo *");

        // What the test host inherited from its own parent may be there too, as under make.
        var descriptors = result.Lines.Single().Split(' ');
        Assert.Subset(descriptors.ToHashSet(), new HashSet<string> { "0", "1", "2" });
        Assert.DoesNotContain(ownFd, descriptors);
        Assert.DoesNotContain(Spawner.DevNullFd.ToString(), descriptors);
    }

    [Fact]
    public async Task Many_steps_at_once_each_get_their_own_output()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Steps.RunAsync(i % 2 == 0 ? $"echo step {i}" : $"echo step {i}; echo again {i} >&2")));

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(0, results[i].Exit.ExitCode);
            Assert.Equal(i % 2 == 0 ? [$"step {i}"] : new[] { $"step {i}", $"again {i}" }, results[i].Lines);
        }
    }

    [Fact]
    public async Task Non_ascii_text_survives()
    {
        var text = "héllo wörld ✓ 日本";
        var result = await Steps.RunAsync($"echo '{text}'");

        Assert.Equal([text], result.Lines);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), Encoding.UTF8.GetByteCount(result.Lines[0]));
    }

    [Fact]
    public async Task Without_pidfds_a_waiting_thread_sees_the_exit()
    {
        StepProcess.PidfdEnabled = false;
        try
        {
            var result = await Steps.RunAsync("echo hi; sleep 300 & exit 3");
            var step = StepProcess.Start(Steps.Launch("sleep 300"), _ => { });
            step.Kill();
            var killed = await step.Completion.WaitAsync(Steps.Patience);

            Assert.Equal(3, result.Exit.ExitCode);
            Assert.Equal(["hi"], result.Lines);
            await Steps.EventuallyAsync(() => Steps.GroupMembers(result.Identity!.Value.Pid).Count == 0, "the background sleep to die");
            Assert.Equal(137, killed.ExitCode);
            Assert.True(killed.Killed);
        }
        finally
        {
            StepProcess.PidfdEnabled = true;
        }
    }
}
