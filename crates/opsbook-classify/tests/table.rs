//! The classifier against a table of snippets with their true minimum tier
//! (written for this test from the cases of issue 14 and shaped like the
//! runbooks in ../shared/corpus; PowerShell samples in the style of the MIT
//! powershell-docs code).
//!
//! Direction of failure: a computed tier BELOW the expected one is unsafe —
//! a step could be declared lower than what it does — and always fails.
//! A computed tier above the expected one fails too unless the row says
//! `T1+` (at least T1): it would make authors over-declare, which erodes
//! trust in the tiers.

use opsbook_classify::{Shell, Tier, classify};

const P: Shell = Shell::PowerShell;
const B: Shell = Shell::Bash;

/// (shell, expected tier, `+` = at least, code)
const CASES: &[(Shell, &str, &str)] = &[
    // --- PowerShell reads (T0)
    (P, "T0", "Get-Process"),
    (
        P,
        "T0",
        "Get-Service -Name w32time | Format-Table -AutoSize Name, Status",
    ),
    (
        P,
        "T0",
        "Get-ChildItem -Path C:\\logs -Recurse -Filter *.log | Measure-Object -Property Length -Sum",
    ),
    (P, "T0", "Test-Path -LiteralPath 'D:\\trading\\data'"),
    (P, "T0", "Resolve-DnsName api.binance.com"),
    (
        P,
        "T0",
        "Test-NetConnection -ComputerName api.binance.com -Port 443",
    ),
    (
        P,
        "T0",
        "Get-Content -Path 'D:\\trading\\logs\\gateway.log' -Tail 200 | Select-String -Pattern 'status=429'",
    ),
    (
        P,
        "T0",
        "Get-WinEvent -FilterHashtable @{ LogName = 'System'; Id = 37 } -MaxEvents 20",
    ),
    (
        P,
        "T0",
        "gci C:\\temp | sort Length -Descending | select -First 5",
    ),
    (P, "T0", "ls; dir; gc .\\notes.txt; cat .\\notes.txt"),
    (
        P,
        "T0",
        "Get-Date -Format o; [DateTime]::UtcNow; [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()",
    ),
    (
        P,
        "T0",
        "$x = Get-Content .\\a.json | ConvertFrom-Json; $x.items | Where-Object { $_.state -eq 'open' } | Sort-Object id",
    ),
    (P, "T0", "'{0} {1}' -f $a, $b"),
    (
        P,
        "T0",
        "$h = @{ a = 1 }; $h.Add('b', 2); $h.Remove('a'); $h.Clear()",
    ),
    (
        P,
        "T0",
        "$list = [System.Collections.Generic.List[string]]::new(); $list.Add('x'); $list.Remove('x')",
    ),
    (
        P,
        "T0",
        "$sb = [System.Text.StringBuilder]::new(); [void]$sb.Append('x'); $sb.ToString()",
    ),
    (
        P,
        "T0",
        "Get-Content .\\ids.txt | ForEach-Object { $_.Trim().Replace('-', '') }",
    ),
    (
        P,
        "T0",
        "foreach ($line in Get-Content .\\x.txt) { $line.Split(',')[0] }",
    ),
    (P, "T0", "w32tm /query /status /verbose"),
    (
        P,
        "T0",
        "w32tm /stripchart /computer:ntp.nict.jp /samples:5 /dataonly",
    ),
    (P, "T0", "sc.exe query w32time"),
    (P, "T0", "sc.exe qc w32time"),
    (
        P,
        "T0",
        "reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters",
    ),
    (
        P,
        "T0",
        "schtasks /query /tn TradeBotReportExport /v /fo list",
    ),
    (P, "T0", "netsh interface ip show config"),
    (P, "T0", "netsh advfirewall firewall show rule name=all"),
    (P, "T0", "net start"),
    (P, "T0", "net user"),
    (P, "T0", "ipconfig /all"),
    (P, "T0", "icacls D:\\trading\\data"),
    (P, "T0", "wevtutil qe System /c:5 /f:text"),
    (P, "T0", "vssadmin list shadows"),
    (P, "T0", "whoami /all; hostname; systeminfo; tasklist /v"),
    (
        P,
        "T0",
        "Invoke-RestMethod -Method Get -Uri 'https://api.binance.com/api/v3/time'",
    ),
    (
        P,
        "T0",
        "Invoke-RestMethod 'https://api.binance.com/api/v3/openOrders?symbol=BTCUSDT' -Headers $h",
    ),
    (
        P,
        "T0",
        "irm https://api.binance.com/api/v3/order?symbol=BTCUSDT -Method GET -Headers $h",
    ),
    (
        P,
        "T0",
        "Invoke-WebRequest -UseBasicParsing -Method Head -Uri $u",
    ),
    (P, "T0", "Remove-Item C:\\temp\\x -Recurse -Force -WhatIf"),
    (P, "T0", "Stop-Service -Name w32time -WhatIf"),
    (P, "T0", "Restart-Computer -WhatIf"),
    (P, "T0", "Set-Content -Path env:OPSBOOK_MODE -Value test"),
    (P, "T0", "Remove-Item Env:\\OPSBOOK_INCIDENT"),
    (P, "T0", "$env:OPSBOOK_INCIDENT = 'INC-20261129-001'"),
    (
        P,
        "T0",
        "Get-Date 2>$null; Get-Item x 2>&1 | Out-Null; Get-Item y > $null",
    ),
    (
        P,
        "T0",
        "[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12",
    ),
    (
        P,
        "T0",
        "$hmac = [System.Security.Cryptography.HMACSHA256]::new([Text.Encoding]::UTF8.GetBytes('k')); $hmac.ComputeHash([byte[]]@(1))",
    ),
    (
        P,
        "T0",
        "function Show-Offset { param([int]$ms)\n  \"offset $ms ms\"\n}\nShow-Offset -ms 12",
    ),
    (P, "T0", "$sb = { Get-Process }; & $sb; $sb.Invoke()"),
    (P, "T0", "iex 'Get-Date'"),
    (
        P,
        "T0",
        "Invoke-Expression -Command \"Get-Service w32time\"",
    ),
    (
        P,
        "T0",
        "powershell -NoProfile -Command \"Get-Service w32time\"",
    ),
    (P, "T0", "pwsh -NoProfile -NonInteractive -c 'Get-Date'"),
    (
        P,
        "T0",
        "Invoke-Command -ComputerName srv1 -ScriptBlock { Get-Service w32time }",
    ),
    (
        P,
        "T0",
        "Start-Job -ScriptBlock { Get-Process } | Wait-Job | Receive-Job",
    ),
    (P, "T0", "Get-Item x | Tee-Object -Variable item | Out-Null"),
    (P, "T0", "$p = @{ Name = 'w32time' }; Get-Service @p"),
    (
        P,
        "T0",
        "Microsoft.PowerShell.Management\\Get-ChildItem C:\\",
    ),
    (P, "T0", "Get`-Process"),
    (P, "T0", "GET-PROCESS | FORMAT-LIST *"),
    (P, "T0", "C:\\Windows\\System32\\w32tm.exe /query /source"),
    (
        P,
        "T0",
        "opsbook safety status; opsbook freeze check; opsbook gate --format json",
    ),
    (
        P,
        "T0",
        "opsbook evidence collect --runbook RB-X --incident $env:OPSBOOK_INCIDENT",
    ),
    (P, "T0", "opsbook run RB-PLAT-TIME-DRIFT --plan"),
    (P, "T0", "Read-Host 'Type the host name'"),
    (
        P,
        "T0",
        "if ((Read-Host 'Type PAUSE') -cne 'PAUSE') { throw 'Not confirmed.' }",
    ),
    (
        P,
        "T0",
        "$samples = foreach ($i in 1..5) { [pscustomobject]@{ n = $i } }\n$samples | Format-Table",
    ),
    (
        P,
        "T0",
        "Get-CimInstance -ClassName Win32_Service -Filter \"Name='w32time'\"",
    ),
    (P, "T0", ""),
    (P, "T0", "# only a comment"),
    // --- PowerShell changes (T1)
    (P, "T1", "Stop-Service -Name TradeEngine"),
    (
        P,
        "T1",
        "Start-Service w32time; Restart-Service -Name w32time -Force",
    ),
    (P, "T1", "spsv TradeEngine"),
    (P, "T1", "Get-Process -Name notepad | Stop-Process"),
    (P, "T1", "Get-Process notepad | kill"),
    (P, "T1", "Set-Service -Name w32time -StartupType Automatic"),
    (
        P,
        "T1",
        "New-Item -ItemType Directory -Force -Path D:\\trading\\quarantine",
    ),
    (P, "T1", "mkdir D:\\x"),
    (
        P,
        "T1",
        "Copy-Item a.txt b.txt; Move-Item b.txt c.txt; Rename-Item c.txt d.txt",
    ),
    (P, "T1", "cp a b"),
    (P, "T1", "'x' | Out-File -FilePath C:\\temp\\x.txt"),
    (P, "T1", "Set-Content -Path C:\\temp\\x.txt -Value 1"),
    (P, "T1", "Add-Content -Path D:\\marks.jsonl -Value $line"),
    (
        P,
        "T1",
        "$data | Export-Csv -NoTypeInformation -Path \"$env:TEMP\\x.csv\"",
    ),
    (P, "T1", "Get-Date > C:\\temp\\now.txt"),
    (P, "T1", "Get-Date >> C:\\temp\\now.txt"),
    (P, "T1", "Get-Process 2> err.txt"),
    (
        P,
        "T1",
        "Get-Process | Tee-Object -FilePath C:\\temp\\p.txt",
    ),
    (P, "T1", "Get-Process | tee p.txt"),
    (P, "T1", "sc query w32time"),
    (P, "T1", "sc.exe stop w32time"),
    (P, "T1", "sc.exe config w32time start= auto"),
    (P, "T1", "w32tm /resync /rediscover"),
    (
        P,
        "T1",
        "w32tm /config /manualpeerlist:\"$peers\" /syncfromflags:manual /update",
    ),
    (
        P,
        "T1",
        "reg add HKLM\\Software\\TradeBot /v Mode /t REG_SZ /d safe /f",
    ),
    (P, "T1", "schtasks /run /tn TradeBotReportExport"),
    (P, "T1", "net stop w32time"),
    (P, "T1", "netsh advfirewall set allprofiles state on"),
    (P, "T1", "ipconfig /flushdns"),
    (
        P,
        "T1",
        "icacls D:\\trading\\data /grant 'svc-trade:(OI)(CI)R'",
    ),
    (
        P,
        "T1",
        "Disable-ScheduledTask -TaskName TradeBotAutoDeploy",
    ),
    (P, "T1", "Enable-ScheduledTask -TaskName TradeBotAutoDeploy"),
    (
        P,
        "T1",
        "Invoke-RestMethod -Method Post -Uri 'http://127.0.0.1:8787/admin/mode' -Body $b",
    ),
    (
        P,
        "T1",
        "Invoke-RestMethod -Method Put -Uri 'http://127.0.0.1:8787/admin/config' -Body $b",
    ),
    (
        P,
        "T1",
        "Invoke-WebRequest -Uri 'https://example.invalid/x.zip' -OutFile C:\\temp\\x.zip",
    ),
    (P, "T1", "[IO.File]::WriteAllText('C:\\temp\\x.txt', 'x')"),
    (
        P,
        "T1",
        "[System.IO.Directory]::CreateDirectory('C:\\temp\\y')",
    ),
    (
        P,
        "T1",
        "[Environment]::SetEnvironmentVariable('X', '1', 'Machine')",
    ),
    (
        P,
        "T1",
        "$w = [IO.StreamWriter]::new('C:\\temp\\x.txt'); $w.WriteLine('x'); $w.Close()",
    ),
    (
        P,
        "T1",
        "New-Object System.IO.StreamWriter 'C:\\temp\\x.txt'",
    ),
    (
        P,
        "T1",
        "(Get-Item C:\\temp\\a.txt).MoveTo('C:\\temp\\b.txt')",
    ),
    (P, "T1", "(Get-Service w32time).Stop()"),
    (
        P,
        "T1",
        "$f = Get-Item C:\\temp\\a.txt; $f.IsReadOnly = $true",
    ),
    (P, "T1", "${C:\\temp\\note.txt} = 'written'"),
    (
        P,
        "T1",
        "opsbook safety set SAFE_MODE --reason $reason --incident $env:OPSBOOK_INCIDENT",
    ),
    (P, "T1", "opsbook freeze on --reason 'P0 open'"),
    (
        P,
        "T1",
        "Start-Process -FilePath sc.exe -ArgumentList 'stop', 'w32time' -Wait",
    ),
    (P, "T1", "powershell -Command \"Stop-Service w32time\""),
    (P, "T1", "iex 'Stop-Service w32time'"),
    (
        P,
        "T1",
        "Invoke-Command -ScriptBlock { Restart-Service w32time }",
    ),
    (
        P,
        "T1",
        "$p = @{ Name = 'w32time'; Force = $true }; Restart-Service @p",
    ),
    (P, "T1", "Stop-Service x -WhatIf:$false"),
    (P, "T1", "Stop-Service x \u{2013}WhatIf"),
    (
        P,
        "T1",
        "curl.exe -s -o C:\\temp\\x.json https://example.invalid/x",
    ),
    (
        P,
        "T1",
        "Send-MailMessage -To ops@example.invalid -Subject x -SmtpServer smtp",
    ),
    // --- PowerShell irreversible / wide (T2)
    (P, "T2", "Remove-Item -Path C:\\temp\\x -Recurse -Force"),
    (P, "T2", "rm C:\\temp\\x"),
    (P, "T2", "del C:\\temp\\x.log; erase C:\\temp\\y.log"),
    (P, "T2", "rd C:\\temp\\dir; rmdir C:\\temp\\dir2; ri C:\\x"),
    (
        P,
        "T2",
        "Get-ChildItem C:\\logs -Filter *.log | Remove-Item",
    ),
    (
        P,
        "T2",
        "Get-ChildItem C:\\logs | ForEach-Object { Remove-Item $_.FullName }",
    ),
    (
        P,
        "T2",
        "Get-ChildItem C:\\logs | ForEach-Object { $_.Delete() }",
    ),
    (P, "T2", "Get-ChildItem C:\\logs | % Delete"),
    (P, "T2", "(Get-ChildItem C:\\logs).ForEach('Delete')"),
    (P, "T2", "Re`move-Item C:\\x"),
    (P, "T2", "REMOVE-ITEM C:\\x"),
    (
        P,
        "T2",
        "Microsoft.PowerShell.Management\\Remove-Item C:\\x",
    ),
    (
        P,
        "T2",
        "Clear-Content -Path D:\\trading\\logs\\gateway.log",
    ),
    (P, "T2", "Clear-EventLog -LogName Application"),
    (P, "T2", "Stop-Computer -Force"),
    (P, "T2", "Restart-Computer -ComputerName srv1"),
    (P, "T2", "Format-Volume -DriveLetter E"),
    (
        P,
        "T2",
        "Unregister-ScheduledTask -TaskName X -Confirm:$false",
    ),
    (P, "T2", "Uninstall-Module Foo"),
    (
        P,
        "T2",
        "Remove-Secret -Name 'binance-trade-key' -Vault 'TradingVault'",
    ),
    (
        P,
        "T2",
        "New-Item -ItemType File -Force -Path C:\\temp\\x.txt",
    ),
    (
        P,
        "T2",
        "Expand-Archive x.zip -DestinationPath C:\\x -Force",
    ),
    (P, "T2", "[IO.File]::Delete('C:\\temp\\x')"),
    (P, "T2", "[System.IO.Directory]::Delete($d, $true)"),
    (P, "T2", "[Environment]::Exit(1)"),
    (P, "T2", "[Diagnostics.Process]::Start('cmd.exe')"),
    (P, "T2", "[scriptblock]::Create($code).Invoke()"),
    (P, "T2", "sc.exe delete TradeEngine"),
    (P, "T2", "reg delete HKLM\\Software\\TradeBot /f"),
    (P, "T2", "schtasks /delete /tn TradeBotReportExport /f"),
    (P, "T2", "w32tm /unregister"),
    (P, "T2", "net user bob /delete"),
    (P, "T2", "netsh winsock reset"),
    (P, "T2", "icacls D:\\trading /reset /t"),
    (P, "T2", "icacls D:\\trading /grant Everyone:F /t"),
    (P, "T2", "takeown /f D:\\trading /r"),
    (P, "T2", "format E: /q"),
    (P, "T2", "diskpart /s wipe.txt"),
    (P, "T2", "vssadmin delete shadows /all /quiet"),
    (P, "T2", "wevtutil cl Security"),
    (P, "T2", "shutdown /r /t 0"),
    (P, "T2", "robocopy C:\\src D:\\dst /MIR"),
    (
        P,
        "T2",
        "Invoke-RestMethod -Method Delete -Uri 'https://api.binance.com/api/v3/order' -Headers $h",
    ),
    (
        P,
        "T2",
        "Invoke-RestMethod -Method Post -Uri 'https://api.binance.com/api/v3/order' -Body $b",
    ),
    (
        P,
        "T2",
        "Invoke-RestMethod -Method Post -Uri 'https://fapi.binance.com/fapi/v1/batchOrders' -Body $b",
    ),
    (
        P,
        "T2",
        "Invoke-RestMethod -Method Delete -Uri 'https://api.binance.com/api/v3/openOrders?symbol=BTCUSDT'",
    ),
    (
        P,
        "T2",
        "Invoke-RestMethod -Method Post -Uri 'http://127.0.0.1:8787/admin/cancel' -Body $b",
    ),
    (
        P,
        "T2",
        "Invoke-RestMethod -Method Post -Uri 'https://api.binance.com/sapi/v1/capital/withdraw/apply' -Body $b",
    ),
    (
        P,
        "T2",
        "Invoke-RestMethod -Method $m -Uri 'https://api.binance.com/api/v3/time'",
    ),
    (P, "T2", "Invoke-RestMethod -Method Post -Uri $u -Body $b"),
    (P, "T2", "$p = Get-Params; Invoke-RestMethod @p"),
    (P, "T2", "irm -Method Delete https://x.invalid/api/thing/1"),
    (P, "T2", "iwr -Method DELETE -Uri https://x.invalid/y"),
    (P, "T2", "curl.exe -X DELETE https://x.invalid/y"),
    (P, "T2", "& $x"),
    (P, "T2", ". $x"),
    (P, "T2", "& (Get-Command Remove-Item) C:\\x"),
    (P, "T2", "$cmd = Get-Cmd; & $cmd"),
    (P, "T2", "iex $code"),
    (P, "T2", "Invoke-Expression (Get-Content .\\fix.txt -Raw)"),
    (P, "T2", "'Remove-Item C:\\x' | iex"),
    (P, "T2", "iex 'Remove-Item C:\\x'"),
    (P, "T2", "powershell -EncodedCommand ZQBjAGgAbwA="),
    (P, "T2", "powershell -enc ZQBjAGgAbwA="),
    (P, "T2", "pwsh -File .\\fix.ps1"),
    (P, "T2", "powershell -Command $code"),
    (
        P,
        "T2",
        "Start-Process powershell -ArgumentList '-Command', 'Remove-Item C:\\x'",
    ),
    (P, "T2", "Start-Process $exe"),
    (P, "T2", ".\\fix.ps1"),
    (
        P,
        "T2",
        "& 'D:\\trading\\bin\\md-rebuild.exe' --symbol BTCUSDT",
    ),
    (P, "T2", "D:\\tools\\cleanup.exe"),
    (P, "T2", "frobnicate --all"),
    (P, "T2", "Frob-Thing -All"),
    (
        P,
        "T2",
        "Invoke-Command -ComputerName srv1 -FilePath .\\fix.ps1",
    ),
    (P, "T2", "Invoke-Command -ScriptBlock $sb"),
    (
        P,
        "T2",
        "Get-Process | ForEach-Object { $_.Kill() } ; Remove-Item x",
    ),
    (P, "T2", "$x.Frobnicate()"),
    (P, "T2", "[Foo.Bar]::Baz()"),
    (P, "T2", "Get-Process -Name (Remove-Item C:\\x)"),
    (P, "T2", "\"now: $(Remove-Item C:\\x)\""),
    (P, "T2", "Get-Item x; Remove-Item y -WhatIf; Remove-Item z"),
    (
        P,
        "T2",
        "Get-Process | Where-Object { $_.Name -eq 'x' } | Stop-Process; Stop-Computer",
    ),
    (P, "T2", "Get-Process {"),
    (P, "T2", "cmd /c del C:\\x"),
    (P, "T2", "Invoke-Item C:\\temp\\x.bat"),
    (P, "T2", "opsbook run RB-PLAT-TIME-DRIFT"),
    (P, "T2", "Remove-Item x \u{2212}WhatIf"),
    // --- bash reads (T0)
    (B, "T0", "ls -la /var/log | grep nginx"),
    (
        B,
        "T0",
        "cat /etc/chrony.conf; chronyc tracking; chronyc sources -v",
    ),
    (B, "T0", "systemctl status nginx --no-pager"),
    (
        B,
        "T0",
        "journalctl -u tradebot --since '10 min ago' | tail -n 50",
    ),
    (B, "T0", "kubectl get pods -n trading -o wide"),
    (
        B,
        "T0",
        "kubectl describe pod x -n trading; kubectl logs deploy/x --tail=100",
    ),
    (
        B,
        "T0",
        "curl -s https://api.binance.com/api/v3/time | jq .serverTime",
    ),
    (
        B,
        "T0",
        "curl -sS -o /dev/null -w '%{http_code}' https://x.invalid/health",
    ),
    (B, "T0", "ps aux | grep -v grep | grep tradebot"),
    (B, "T0", "df -h; free -m; uptime; date -u +%s"),
    (B, "T0", "find /var/log -name '*.log' -mmin -10"),
    (
        B,
        "T0",
        "echo \"offset: $(chronyc tracking | awk '/System time/ {print $4}')\"",
    ),
    (B, "T0", "timedatectl status"),
    (B, "T0", "git log --oneline -5; git status"),
    (B, "T0", "docker ps; docker logs --tail 50 engine"),
    (B, "T0", "sed -n '1,20p' /etc/hosts"),
    (
        B,
        "T0",
        "awk '{print $1}' access.log | sort | uniq -c | sort -rn | head",
    ),
    (B, "T0", "for f in /var/log/*.log; do wc -l \"$f\"; done"),
    (B, "T0", "if [ -f /tmp/x ]; then echo yes; fi"),
    (
        B,
        "T0",
        "check() { systemctl is-active \"$1\"; }\ncheck nginx",
    ),
    (B, "T0", "ls 2>/dev/null; ls > /dev/null 2>&1"),
    (B, "T0", "opsbook safety status"),
    (B, "T0", "sudo journalctl -u tradebot -n 20"),
    (B, "T0", "ip addr show; ss -tlnp"),
    // --- bash changes (T1)
    (B, "T1", "sudo systemctl restart nginx"),
    (
        B,
        "T1",
        "systemctl stop tradebot && systemctl start tradebot",
    ),
    (
        B,
        "T1",
        "kubectl scale deploy/engine --replicas=0 -n trading",
    ),
    (B, "T1", "kubectl rollout restart deploy/engine"),
    (
        B,
        "T1",
        "curl -X POST https://x.invalid/admin/mode -d '{\"mode\":\"reduce_only\"}'",
    ),
    (B, "T1", "curl -d @body.json https://x.invalid/admin/mode"),
    (B, "T1", "curl -sSL -o /tmp/x.tgz https://x.invalid/x.tgz"),
    (B, "T1", "wget https://x.invalid/x.tgz"),
    (B, "T1", "echo 1 > /tmp/flag"),
    (B, "T1", "date >> /var/log/checks.log"),
    (
        B,
        "T1",
        "mv /tmp/a /tmp/b; cp /tmp/b /tmp/c; mkdir -p /tmp/d; touch /tmp/e",
    ),
    (B, "T1", "sed -i 's/foo/bar/' /etc/app.conf"),
    (B, "T1", "chmod 600 /etc/app/key"),
    (B, "T1", "kill 1234; pkill -f tradebot"),
    (B, "T1", "chronyc makestep"),
    (B, "T1", "echo x | tee /tmp/out.txt"),
    (B, "T1", "xargs -n1 systemctl restart < units.txt"),
    (B, "T1", "bash -c 'systemctl restart nginx'"),
    (B, "T1", "eval 'systemctl restart nginx'"),
    (B, "T1", "find /tmp -name '*.tmp' -exec mv {} /tmp/old \\;"),
    (B, "T1", "apt-get install -y chrony"),
    (B, "T1", "git commit -am 'x'; git push"),
    // --- bash irreversible / wide (T2)
    (B, "T2", "rm -rf /var/lib/tradebot/cache"),
    (B, "T2", "sudo rm /etc/app.conf"),
    (B, "T2", "/bin/rm -f /tmp/x"),
    (B, "T2", "find /var/log -name '*.gz' -delete"),
    (B, "T2", "find /var/log -name '*.gz' -exec rm {} +"),
    (B, "T2", "ls *.tmp | xargs rm"),
    (B, "T2", "dd if=/dev/zero of=/dev/sdb bs=1M"),
    (B, "T2", "mkfs.ext4 /dev/sdb1"),
    (B, "T2", "systemctl reboot"),
    (B, "T2", "reboot"),
    (B, "T2", "chmod -R 777 /srv"),
    (B, "T2", "kubectl delete pod engine-0 -n trading"),
    (B, "T2", "kubectl drain node1"),
    (B, "T2", "kubectl exec -it engine-0 -- sh"),
    (B, "T2", "docker rm -f engine; docker system prune -a"),
    (
        B,
        "T2",
        "curl -X DELETE https://api.binance.com/api/v3/openOrders?symbol=BTCUSDT",
    ),
    (
        B,
        "T2",
        "curl --request POST https://api.binance.com/api/v3/order -d 'symbol=BTCUSDT'",
    ),
    (B, "T2", "curl -XDELETE https://x.invalid/y"),
    (B, "T2", "curl -X \"$METHOD\" https://x.invalid/y"),
    (B, "T2", "eval \"$CMD\""),
    (B, "T2", "$CMD --force"),
    (B, "T2", "$(get_cmd) x"),
    (B, "T2", "./fix.sh"),
    (B, "T2", "bash fix.sh"),
    (B, "T2", "source ./env.sh"),
    (B, "T2", "sh -c \"$CODE\""),
    (B, "T2", "bash -c 'rm -rf /tmp/x'"),
    (B, "T2", "ssh prod1 'systemctl restart nginx'"),
    (B, "T2", "python3 -c 'import os; os.remove(\"/x\")'"),
    (B, "T2", "awk '{ system(\"rm \" $1) }' list.txt"),
    (B, "T2", "git reset --hard origin/main"),
    (B, "T2", "git push --force"),
    (B, "T2", "git clean -fdx"),
    (B, "T2", "crontab -r"),
    (B, "T2", "iptables -F"),
    (B, "T2", "journalctl --vacuum-time=1d"),
    (B, "T2", "rsync -a --delete /src/ /dst/"),
    (B, "T2", "truncate -s 0 /var/log/app.log"),
    (B, "T2", "frobnicate --all"),
    (B, "T2", "if then fi ("),
    (B, "T2", "echo \"$(rm -rf /tmp/x)\""),
];

fn expected(s: &str) -> (Tier, bool) {
    let at_least = s.ends_with('+');
    let t = Tier::parse(s.trim_end_matches('+')).unwrap_or(Tier::T2);
    (t, at_least)
}

#[test]
fn snippets_classify_at_their_true_tier() {
    assert!(CASES.len() >= 150, "{} cases", CASES.len());
    let mut below = Vec::new();
    let mut above = Vec::new();
    for (shell, want, code) in CASES {
        let (want, at_least) = expected(want);
        let got = classify(code, *shell);
        if got.tier < want {
            below.push(format!(
                "UNSAFE {shell:?} want {want:?} got {:?}: {code}\n    {}",
                got.tier, got.reason
            ));
        } else if got.tier > want && !at_least {
            above.push(format!(
                "over {shell:?} want {want:?} got {:?}: {code}\n    {}",
                got.tier, got.reason
            ));
        }
        // The forcing node is there whenever the tier is above T0, and it
        // points into the code.
        if got.tier > Tier::T0 {
            let f = got
                .forced_by
                .as_ref()
                .unwrap_or_else(|| panic!("no forcing node for {code}"));
            assert!(
                f.span.end <= code.len() && f.span.start <= f.span.end,
                "{code}: {f:?}"
            );
            assert!(f.line >= 1 && f.column >= 1);
        }
    }
    assert!(
        below.is_empty() && above.is_empty(),
        "{} below the truth (unsafe), {} above:\n{}\n{}",
        below.len(),
        above.len(),
        below.join("\n"),
        above.join("\n")
    );
}

#[test]
fn pwsh_and_bash_counts() {
    let p = CASES.iter().filter(|c| c.0 == P).count();
    let b = CASES.iter().filter(|c| c.0 == B).count();
    assert!(p >= 100 && b >= 50, "{p} PowerShell, {b} bash");
}
