<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>CapacityGuard</name>
    <message>
        <location filename="../../core/engine/capacityguard.cpp" line="13"/>
        <source>%1 will answer 503 to every request: not one of its servers (%2) would take traffic</source>
        <translation>%1 将对每个请求返回 503：它的服务器（%2 台）都不会再接收流量</translation>
    </message>
    <message>
        <location filename="../../core/engine/capacityguard.cpp" line="17"/>
        <source>%1 would be served by its backup servers only: none of its primary servers would take traffic</source>
        <translation>%1 将只由备用服务器提供服务：它的主服务器都不会再接收流量</translation>
    </message>
    <message>
        <location filename="../../core/engine/capacityguard.cpp" line="20"/>
        <source>%1 would keep %2 of %3 servers taking traffic, %4 % of the capacity it has now</source>
        <translation>%1 将只剩 %3 台服务器中的 %2 台接收流量，即当前容量的 %4 %</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="17"/>
        <source>health</source>
        <translation>健康</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="18"/>
        <source>ejection</source>
        <translation>剔除</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="19"/>
        <source>panic</source>
        <translation>恐慌模式</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="20"/>
        <source>operator</source>
        <translation>操作员</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="21"/>
        <source>lock</source>
        <translation>锁</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="22"/>
        <location filename="../../ui/eventmodel.cpp" line="43"/>
        <source>connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="23"/>
        <source>engine</source>
        <translation>引擎</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="24"/>
        <source>POOL OUTAGE</source>
        <translation>池中断</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="33"/>
        <source>state</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="35"/>
        <source>set state</source>
        <translation>设置状态</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="37"/>
        <source>set weight</source>
        <translation>设置权重</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="39"/>
        <source>pool</source>
        <translation>池</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="41"/>
        <source>panic mode</source>
        <translation>恐慌模式</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="45"/>
        <source>force release</source>
        <translation>强制释放</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="55"/>
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="56"/>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="57"/>
        <source>info</source>
        <translation>信息</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="21"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="23"/>
        <source>%1 min %2 s</source>
        <translation>%1 分 %2 秒</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="24"/>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分</translation>
    </message>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="28"/>
        <source>weight of %1: %2 → %3</source>
        <translation>%1 的权重：%2 → %3</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="18"/>
        <source>plain</source>
        <translation>普通</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="20"/>
        <source>Redisson</source>
        <translation>Redisson</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="22"/>
        <source>Redisson read/write</source>
        <translation>Redisson 读写锁</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="24"/>
        <source>Fulcrum</source>
        <translation>Fulcrum</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="26"/>
        <source>Curator mutex</source>
        <translation>Curator 互斥锁</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="28"/>
        <source>Curator read/write</source>
        <translation>Curator 读写锁</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="30"/>
        <source>Curator semaphore</source>
        <translation>Curator 信号量</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="32"/>
        <source>Kazoo lock</source>
        <translation>Kazoo 锁</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="34"/>
        <source>Kazoo read/write</source>
        <translation>Kazoo 读写锁</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="36"/>
        <source>Kazoo semaphore</source>
        <translation>Kazoo 信号量</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="38"/>
        <source>etcd mutex</source>
        <translation>etcd 互斥锁</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="40"/>
        <source>etcd election</source>
        <translation>etcd 选举</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="42"/>
        <source>PostgreSQL advisory</source>
        <translation>PostgreSQL 咨询锁</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="44"/>
        <source>blocking chain</source>
        <translation>阻塞链</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="46"/>
        <source>lock table</source>
        <translation>锁表</translation>
    </message>
    <message>
        <location filename="../../ui/helpdialogs.cpp" line="48"/>
        <source>| Action | Keys |</source>
        <translation>| 操作 | 按键 |</translation>
    </message>
    <message>
        <location filename="../../ui/helpdialogs.cpp" line="63"/>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <location filename="../../ui/helpdialogs.cpp" line="73"/>
        <source>This build carries no README; see the project&apos;s README.md, section &quot;At 3 a.m.&quot;.</source>
        <translation>此版本未附带 README；请参阅项目的 README.md 中“凌晨 3 点”一节。</translation>
    </message>
    <message>
        <location filename="../../ui/helpdialogs.cpp" line="74"/>
        <source>At 3 a.m.: what to type</source>
        <translation>凌晨 3 点：该输入什么</translation>
    </message>
    <message>
        <location filename="../../ui/helpdialogs.cpp" line="79"/>
        <source>## Fulcrum %1

Load balancing, health checks and distributed locks for the people who run them.

**Engines in this window:** %2

Qt %3.</source>
        <translation>## Fulcrum %1

为运维人员提供的负载均衡、健康检查与分布式锁管理。

**本窗口中的引擎：** %2

Qt %3。</translation>
    </message>
    <message>
        <location filename="../../ui/helpdialogs.cpp" line="82"/>
        <source>About Fulcrum</source>
        <translation>关于 Fulcrum</translation>
    </message>
</context>
<context>
    <name>fulcrum::AdminEventStream</name>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="329"/>
        <source>%1 sent a stream message over %2 MiB; is this URL a fulcrumd admin API?</source>
        <translation>%1 发送了超过 %2 MiB 的流消息；这个 URL 是 fulcrumd 的管理 API 吗？</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="332"/>
        <source>no data from %1 for %2 s; reconnecting</source>
        <translation>%2 秒内未收到 %1 的数据；正在重新连接</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="334"/>
        <source>%1 closed the stream (engine stopping or restarting?)</source>
        <translation>%1 关闭了数据流（引擎正在停止或重启？）</translation>
    </message>
</context>
<context>
    <name>fulcrum::EngineLink</name>
    <message>
        <location filename="../../core/engine/enginelink.cpp" line="60"/>
        <source>Reports are not available for this engine.</source>
        <translation>此引擎不提供报告。</translation>
    </message>
    <message>
        <location filename="../../core/engine/enginelink.cpp" line="90"/>
        <source>Testing %1 is not available for this engine: it has no lock endpoints; open a Fulcrum engine (the console&apos;s own or a fulcrumd) for locks.</source>
        <translation>此引擎无法测试 %1：它没有锁端点；请打开 Fulcrum 引擎（控制台自带的或 fulcrumd）来管理锁。</translation>
    </message>
    <message>
        <location filename="../../core/engine/enginelink.cpp" line="100"/>
        <source>Releasing lock %1 on %2 is not available for this engine: it has no lock endpoints; nothing was changed. Open a Fulcrum engine for locks.</source>
        <translation>此引擎无法释放 %2 上的锁 %1：它没有锁端点；未做任何更改。请打开 Fulcrum 引擎来管理锁。</translation>
    </message>
    <message>
        <location filename="../../core/engine/enginelink.cpp" line="111"/>
        <source>Reading lock %1 on %2 is not available for this engine: it has no lock endpoints.</source>
        <translation>此引擎无法读取 %2 上的锁 %1：它没有锁端点。</translation>
    </message>
    <message>
        <location filename="../../core/engine/enginelink.cpp" line="121"/>
        <source>Turning on change notifications for %1 is not available for this engine; nothing was changed.</source>
        <translation>此引擎无法为 %1 开启变更通知；未做任何更改。</translation>
    </message>
    <message>
        <location filename="../../core/engine/enginelink.cpp" line="167"/>
        <source>This engine keeps no history: only the live view is available.</source>
        <translation>此引擎不保存历史数据：只能查看实时视图。</translation>
    </message>
</context>
<context>
    <name>fulcrum::HaproxyEngineLink</name>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="52"/>
        <source>HAProxy at %1</source>
        <translation>HAProxy（%1）</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="79"/>
        <source>%1 answered `show info` without a Version line: is this a HAProxy stats socket? It said: %2</source>
        <translation>%1 对 `show info` 的回应中没有 Version 行：这是 HAProxy 的 stats 套接字吗？它的回应是：%2</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="84"/>
        <source>%1: HAProxy %2, socket at admin level (weights and states can be changed)</source>
        <translation>%1：HAProxy %2，套接字为 admin 级别（可以修改权重和状态）</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="86"/>
        <source>%1: HAProxy %2; this HAProxy does not say its socket&apos;s level (no `show cli level`): a command it refuses will say so</source>
        <translation>%1：HAProxy %2；此版本的 HAProxy 不报告套接字级别（没有 `show cli level`）：命令被拒绝时会给出提示</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="88"/>
        <source>%1: HAProxy %2, read-only: %3</source>
        <translation>%1：HAProxy %2，只读：%3</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="100"/>
        <source>runtime weights and states, unless HAProxy keeps a server-state-file</source>
        <translation>运行时设置的权重和状态（除非 HAProxy 配置了 server-state-file）</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="106"/>
        <source>HAProxy weights are 0–%1 (Fulcrum&apos;s are 0–%2). HAProxy forgets runtime changes when it reloads, unless it keeps a server-state-file.</source>
        <translation>HAProxy 的权重范围是 0–%1（Fulcrum 的是 0–%2）。HAProxy 重新加载配置时会丢弃运行时的修改，除非配置了 server-state-file。</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="140"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="144"/>
        <source>read-only: %1</source>
        <translation>只读：%1</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="237"/>
        <source>operator or haproxy.cfg</source>
        <translation>操作员或 haproxy.cfg</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="317"/>
        <source>weight %1 for %2/%3 is outside HAProxy&apos;s range 0–%4 (HAProxy weights are not Fulcrum&apos;s 0–%5)</source>
        <translation>%2/%3 的权重 %1 超出 HAProxy 的范围 0–%4（HAProxy 的权重不是 Fulcrum 的 0–%5）</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="334"/>
        <source>down is what HAProxy&apos;s health checks find, not a state to set; use maint (no traffic, no checks) or drain (no new traffic) for %1/%2</source>
        <translation>down（宕机）由 HAProxy 的健康检查判定，不能手动设置；请对 %1/%2 使用 maint（维护：无流量、不检查）或 drain（排空：不再分配新流量）</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="346"/>
        <source>&quot;%1/%2&quot; is not a HAProxy backend/server name (letters, digits and _ . : - only); pick the server from the list</source>
        <translation>“%1/%2”不是 HAProxy 的后端/服务器名称（只能包含字母、数字和 _ . : -）；请从列表中选择服务器</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="362"/>
        <source>HAProxy %1/%2: %3</source>
        <translation>HAProxy %1/%2：%3</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="363"/>
        <source>HAProxy %1/%2: %3 → %4</source>
        <translation>HAProxy %1/%2：%3 → %4</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="365"/>
        <source>through %1</source>
        <translation>通过 %1</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="379"/>
        <source>HAProxy has no server &quot;%1&quot; in backend &quot;%2&quot; (%3): check the name against haproxy.cfg; a reload may have renamed or removed it</source>
        <translation>HAProxy 的后端“%2”中没有服务器“%1”（%3）：请对照 haproxy.cfg 检查名称；重新加载可能已将其改名或删除</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="382"/>
        <source>HAProxy has no backend &quot;%1&quot; (%2): check the name against haproxy.cfg; a reload may have renamed or removed it</source>
        <translation>HAProxy 没有后端“%1”（%2）：请对照 haproxy.cfg 检查名称；重新加载可能已将其改名或删除</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/haproxyenginelink.cpp" line="384"/>
        <source>HAProxy refused it for %1/%2: %3</source>
        <translation>HAProxy 拒绝了对 %1/%2 的操作：%3</translation>
    </message>
</context>
<context>
    <name>fulcrum::HttpdEngineLink</name>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="50"/>
        <source>TLS with the balancer-manager at %1 failed: %2. If its certificate is signed by your own CA, add ca=PATH to the address; if it asks for a client certificate (SSLVerifyClient), add cert=PATH&amp;key=PATH</source>
        <translation>与 %1 的 balancer-manager 建立 TLS 失败：%2。若其证书由你们自己的 CA 签发，请在地址中加上 ca=PATH；若它要求客户端证书（SSLVerifyClient），请加上 cert=PATH&amp;key=PATH</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="55"/>
        <source>cannot reach the balancer-manager at %1: %2</source>
        <translation>无法连接 %1 上的 balancer-manager：%2</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="58"/>
        <source>the balancer-manager at %1 asks for a user and password (401): give the manager&apos;s user, and its password through the keychain</source>
        <translation>%1 上的 balancer-manager 要求用户名和密码（401）：请提供管理页面的用户名，密码通过钥匙串提供</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="60"/>
        <source>the balancer-manager at %1 refused user &quot;%2&quot; (401): check the user and its password</source>
        <translation>%1 上的 balancer-manager 拒绝了用户“%2”（401）：请检查用户名和密码</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="63"/>
        <source>the balancer-manager at %1 forbids this client (403): allow it in the manager&apos;s &lt;Location&gt; (Require ip ...)</source>
        <translation>%1 上的 balancer-manager 禁止此客户端访问（403）：请在管理页面的 &lt;Location&gt; 中允许它（Require ip ...）</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="65"/>
        <source>no balancer-manager at %1 (404): check the path, and that its &lt;Location&gt; has SetHandler balancer-manager</source>
        <translation>%1 上没有 balancer-manager（404）：请检查路径，并确认其 &lt;Location&gt; 中有 SetHandler balancer-manager</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="67"/>
        <source>the balancer-manager at %1 answered HTTP %2 %3</source>
        <translation>%1 上的 balancer-manager 返回 HTTP %2 %3</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="162"/>
        <source>Apache httpd at %1</source>
        <translation>Apache httpd（%1）</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="176"/>
        <source>load factors and drain/disabled flags set here, unless BalancerPersist is on</source>
        <translation>在此设置的负载因子和排空/禁用标记（除非开启 BalancerPersist）</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="182"/>
        <source>Apache httpd load factors are %1–%2 (Fulcrum&apos;s weights are 0–%3); to stop traffic, drain or disable the member. httpd forgets changes made here when it restarts, unless BalancerPersist is on.</source>
        <translation>Apache httpd 的负载因子范围是 %1–%2（Fulcrum 的权重是 0–%3）；要停止流量，请排空或禁用该成员。除非开启 BalancerPersist，httpd 重启时会丢弃在此所做的修改。</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="211"/>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="251"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message numerus="yes">
        <location filename="../../core/httpd/httpdenginelink.cpp" line="216"/>
        <source>%1 (%n member(s))</source>
        <translation>
            <numerusform>%1（%n 个成员）</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="218"/>
        <source>%1: %2 balancer-manager; balancers: %3</source>
        <translation>%1：%2 balancer-manager；负载均衡器：%3</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="220"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="278"/>
        <source>httpd: %1</source>
        <translation>httpd：%1</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="332"/>
        <source>load factor %1 for %2/%3 is outside Apache httpd&apos;s range %4–%5; to stop its traffic, drain or disable it</source>
        <translation>%2/%3 的负载因子 %1 超出 Apache httpd 的范围 %4–%5；要停止其流量，请排空或禁用它</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="369"/>
        <source>down is what httpd finds when a member fails, not a state to set; disable %1/%2 (no traffic) or drain it (no new traffic)</source>
        <translation>down（宕机）由 httpd 在成员出错时判定，不能手动设置；请禁用 %1/%2（无流量）或排空它（不再分配新流量）</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="398"/>
        <source>httpd&apos;s balancer %1 has no member &quot;%2&quot; (as last read); pick the server from the list</source>
        <translation>httpd 的负载均衡器 %1 中没有成员“%2”（以最近一次读取为准）；请从列表中选择服务器</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="400"/>
        <source>httpd has no balancer &quot;%1&quot; (as last read); pick the server from the list</source>
        <translation>httpd 没有负载均衡器“%1”（以最近一次读取为准）；请从列表中选择服务器</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="420"/>
        <source>httpd took the change, but reading it back failed: %1</source>
        <translation>httpd 接受了修改，但回读失败：%1</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="426"/>
        <source>httpd took the change, but its answer could not be read back: %1</source>
        <translation>httpd 接受了修改，但无法回读其应答：%1</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="442"/>
        <source>httpd no longer has %1/%2 after the change (was it reloaded?); nothing is known to have changed</source>
        <translation>修改后 httpd 中已没有 %1/%2（是否重新加载过？）；无法确认有任何改动</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="450"/>
        <source>through %1</source>
        <translation>通过 %1</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="451"/>
        <source>httpd %1/%2: now %3</source>
        <translation>httpd %1/%2：现为 %3</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="452"/>
        <source>httpd %1/%2: %3 → %4</source>
        <translation>httpd %1/%2：%3 → %4</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="454"/>
        <source>httpd&apos;s nonce for balancer %1 changed since the console read it (httpd restarted or reloaded), so httpd ignored the change to %2: nothing was changed. The view now shows httpd&apos;s current state; do it again if it is still needed</source>
        <translation>自控制台读取以来，httpd 负载均衡器 %1 的 nonce 已变化（httpd 重启或重新加载过），因此 httpd 忽略了对 %2 的修改：没有任何改动。视图现在显示 httpd 的当前状态；如仍需要，请再操作一次</translation>
    </message>
    <message>
        <location filename="../../core/httpd/httpdenginelink.cpp" line="460"/>
        <source>httpd answered the change to %1/%2 but did not apply it (it still shows load factor %3, %4): httpd ignores changes whose Referer does not name its manager; check that %5 is the address httpd serves the manager on</source>
        <translation>httpd 应答了对 %1/%2 的修改但没有应用（仍显示负载因子 %3，%4）：httpd 会忽略 Referer 不是其管理页面的修改；请确认 %5 是 httpd 提供管理页面的地址</translation>
    </message>
</context>
<context>
    <name>fulcrum::InProcessEngineLink</name>
    <message>
        <location filename="../../core/engine/inprocessenginelink.cpp" line="136"/>
        <source>weight of %1/%2: %3 → %4</source>
        <translation>%1/%2 的权重：%3 → %4</translation>
    </message>
    <message>
        <location filename="../../core/engine/inprocessenginelink.cpp" line="170"/>
        <source>this in-process engine keeps no history, so it has no reports</source>
        <translation>此进程内引擎不保存历史数据，因此没有报告</translation>
    </message>
    <message>
        <location filename="../../core/engine/inprocessenginelink.cpp" line="196"/>
        <source>this in-process engine keeps no history: only the live view is available</source>
        <translation>此进程内引擎不保存历史数据：只能查看实时视图</translation>
    </message>
    <message>
        <location filename="../../core/engine/inprocessenginelink.cpp" line="584"/>
        <source>everything set here: the config names no state_dir, so weights, states and the audit log are not kept</source>
        <translation>此处设置的一切：配置未指定 state_dir，因此权重、状态和审计日志都不会保存</translation>
    </message>
    <message>
        <location filename="../../core/engine/inprocessenginelink.cpp" line="595"/>
        <source>everything: the demo starts again from its own weights, states and locks</source>
        <translation>全部：演示会从自己的权重、状态和锁重新开始</translation>
    </message>
    <message>
        <location filename="../../core/engine/inprocessenginelink.cpp" line="607"/>
        <source>in-process engine (%1)</source>
        <translation>进程内引擎（%1）</translation>
    </message>
    <message>
        <location filename="../../core/engine/inprocessenginelink.cpp" line="608"/>
        <source>in-process engine (demo)</source>
        <translation>进程内引擎（演示）</translation>
    </message>
</context>
<context>
    <name>fulcrum::MultiEngineLink</name>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="131"/>
        <source>%1: the engine was removed before it answered; check on that engine whether the command took effect</source>
        <translation>%1：该引擎在回应之前已被移除；请到该引擎上确认命令是否已生效</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="139"/>
        <source>%1: the engine was removed before it answered</source>
        <translation>%1：引擎在回答之前已被移除</translation>
    </message>
    <message numerus="yes">
        <location filename="../../core/engine/multienginelink.cpp" line="175"/>
        <source>%n engine(s): %1</source>
        <translation>
            <numerusform>%n 个引擎：%1</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="233"/>
        <location filename="../../core/engine/multienginelink.cpp" line="365"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="234"/>
        <source>%1: %2, %3</source>
        <translation>%1：%2，%3</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="238"/>
        <source>no engines: add one under Settings → Engines</source>
        <translation>没有引擎：请在 设置 → 引擎 中添加</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="276"/>
        <location filename="../../core/engine/multienginelink.cpp" line="286"/>
        <source>pool &quot;%1&quot; names no engine (engines: %2); refresh the view</source>
        <translation>池“%1”不属于任何引擎（引擎：%2）；请刷新视图</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="294"/>
        <source>no engine to test %1 from</source>
        <translation>没有可用来测试 %1 的引擎</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="307"/>
        <source>lock endpoint &quot;%1&quot; names no engine (engines: %2); nothing deleted</source>
        <translation>锁端点“%1”未对应任何引擎（引擎：%2）；未删除任何内容</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="317"/>
        <source>lock endpoint &quot;%1&quot; names no engine (engines: %2); nothing was changed</source>
        <translation>锁端点“%1”未指向任何引擎（引擎：%2）；未做任何更改</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="330"/>
        <source>lock endpoint &quot;%1&quot; names no engine (engines: %2)</source>
        <translation>锁端点“%1”不属于任何引擎（引擎：%2）</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="377"/>
        <source>a report covers one engine&apos;s history: start the console with that one --engine, or run fulcrumctl report --engine URL (engines: %1)</source>
        <translation>报告只涵盖一个引擎的历史：请只用该引擎的 --engine 启动控制台，或运行 fulcrumctl report --engine URL（引擎：%1）</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="413"/>
        <source>%1 keeps no history</source>
        <translation>%1 不保存历史数据</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="370"/>
        <source>Weights here stop at %1 for every engine.</source>
        <translation>此处所有引擎的权重上限均为 %1。</translation>
    </message>
</context>
<context>
    <name>fulcrum::RemoteEngineLink</name>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="181"/>
        <source>fulcrumd %1 at %2</source>
        <translation>fulcrumd %1（%2）</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="95"/>
        <location filename="../../core/engine/remoteenginelink.cpp" line="112"/>
        <source>connecting to %1</source>
        <translation>正在连接 %1</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="137"/>
        <source>cannot connect to %1: connection refused; is fulcrumd running with admin.listen on this address?</source>
        <translation>无法连接到 %1：连接被拒绝；fulcrumd 是否在运行，且 admin.listen 是这个地址？</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="139"/>
        <source>cannot connect to %1: host not found; check the engine URL</source>
        <translation>无法连接到 %1：找不到主机；请检查引擎 URL</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="142"/>
        <source>no answer from %1 in time; is the address right and the engine&apos;s host reachable?</source>
        <translation>%1 没有及时回应；地址是否正确，引擎所在主机是否可达？</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="161"/>
        <source>cannot reach %1: %2</source>
        <translation>无法访问 %1：%2</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="176"/>
        <source>store the engine&apos;s admin token with: fulcrumctl secret set --engine %1</source>
        <translation>请用以下命令保存该引擎的管理令牌：fulcrumctl secret set --engine %1</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="178"/>
        <source>token refused (401): %1; %2</source>
        <translation>令牌被拒绝（401）：%1；%2</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="180"/>
        <source>not allowed (403): %1</source>
        <translation>不允许（403）：%1</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="181"/>
        <source>engine answered %1: %2</source>
        <translation>引擎返回 %1：%2</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="167"/>
        <source>; unencrypted: the token and lock data cross the network in clear (set admin.tls on the engine and use https://)</source>
        <translation>；未加密：令牌和锁数据以明文穿过网络（请在引擎上设置 admin.tls 并使用 https://）</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="188"/>
        <source>%1 unencrypted: its token and lock data cross the network in clear; set admin.tls on the engine and connect with https://</source>
        <translation>%1 未加密：其令牌和锁数据以明文穿过网络；请在引擎上设置 admin.tls 并用 https:// 连接</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="110"/>
        <source>%1; retrying in %2 s</source>
        <translation>%1；%2 秒后重试</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="454"/>
        <source>weight of %1/%2: %3 → %4</source>
        <translation>%1/%2 的权重：%3 → %4</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="484"/>
        <source>%1: a remote engine polls only the lock endpoints in its own config; add it to fulcrumd&apos;s &quot;locks&quot; list (password from its keychain or a file) and reload, then its state shows here</source>
        <translation>%1：远程引擎只轮询其自身配置中的锁端点；请将其加入 fulcrumd 的“locks”列表（密码来自其钥匙串或文件）并重新加载，之后其状态会显示在这里</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="560"/>
        <source>%1 report by %2, %3 – %4: %5 (%6 KiB)</source>
        <translation>%2 生成的 %1 报告，%3 – %4：%5（%6 KiB）</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="582"/>
        <source>%1 answered /api/v1/history without a list of servers; is it a Fulcrum engine of this version?</source>
        <translation>%1 对 /api/v1/history 的应答中没有服务器列表；它是此版本的 Fulcrum 引擎吗？</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="595"/>
        <source>CSV report by %1, %2 – %3: %4</source>
        <translation>%1 生成的 CSV 报告，%2 – %3：%4</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="607"/>
        <source>%1 (the %2 section(s) already written were removed)</source>
        <translation>%1（已写入的 %2 个部分已删除）</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="619"/>
        <location filename="../../core/engine/remoteenginelink.cpp" line="654"/>
        <source>cannot write %1: %2; choose another folder</source>
        <translation>无法写入 %1：%2；请选择其他文件夹</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="642"/>
        <source>cancelled; nothing written</source>
        <translation>已取消；未写入任何内容</translation>
    </message>
</context>
<context>
    <name>fulcrum::RuntimeClient</name>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="24"/>
        <source>%1 accepted the connection but did not answer `%2` within %3 ms: haproxy may be overloaded, or this is not a HAProxy stats socket</source>
        <translation>%1 接受了连接，但在 %3 毫秒内没有回应 `%2`：haproxy 可能过载，或者这不是 HAProxy 的 stats 套接字</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="26"/>
        <source>could not connect to %1 within %2 ms: check that haproxy runs and that this is its stats socket</source>
        <translation>%2 毫秒内无法连接到 %1：请确认 haproxy 正在运行，且这是它的 stats 套接字</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="49"/>
        <source>%1 (level %2)</source>
        <translation>%1（级别 %2）</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="50"/>
        <source>the stats socket %1 is not at admin level: add `level admin` to its `stats socket` line in haproxy.cfg and reload haproxy</source>
        <translation>stats 套接字 %1 不是 admin 级别：请在 haproxy.cfg 中它的 `stats socket` 行加上 `level admin`，然后重新加载 haproxy</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="105"/>
        <source>%1 sent more than %2 MB for `%3`; is this a HAProxy stats socket?</source>
        <translation>%1 对 `%3` 返回了超过 %2 MB 的数据；这是 HAProxy 的 stats 套接字吗？</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="118"/>
        <source>%1 closed the connection before it was set up; is haproxy restarting?</source>
        <translation>%1 在连接建立前就关闭了连接；haproxy 是否正在重启？</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="147"/>
        <source>no HAProxy stats socket at %1: check the `stats socket %1 level admin` line in the global section of haproxy.cfg and that haproxy is running</source>
        <translation>%1 处没有 HAProxy 的 stats 套接字：请检查 haproxy.cfg 的 global 段中的 `stats socket %1 level admin` 行，并确认 haproxy 正在运行</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="150"/>
        <source>%1 refused the connection: haproxy is not running (the socket file is left over) or is restarting; start haproxy and try again</source>
        <translation>%1 拒绝了连接：haproxy 未运行（套接字文件是残留的）或正在重启；请启动 haproxy 后重试</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="156"/>
        <source>permission denied on %1: run as a member of group %2 (sudo usermod -aG %2 $USER, then log in again), or give the socket `mode 660 group %2` on its stats socket line</source>
        <translation>%1 权限不足：请以 %2 组成员的身份运行（sudo usermod -aG %2 $USER，然后重新登录），或在 stats socket 行给套接字加上 `mode 660 group %2`</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="160"/>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="172"/>
        <source>cannot use the stats socket %1: %2</source>
        <translation>无法使用 stats 套接字 %1：%2</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="165"/>
        <source>connection refused on %1: check that haproxy runs and that haproxy.cfg has `stats socket ipv4@%1 level admin`</source>
        <translation>%1 拒绝连接：请确认 haproxy 正在运行，且 haproxy.cfg 中有 `stats socket ipv4@%1 level admin`</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="168"/>
        <source>host %1 not found: check the address of the HAProxy stats socket</source>
        <translation>找不到主机 %1：请检查 HAProxy stats 套接字的地址</translation>
    </message>
    <message>
        <location filename="../../core/haproxy/runtimeclient.cpp" line="170"/>
        <source>%1 closed the connection before answering; is this a HAProxy stats socket?</source>
        <translation>%1 在回应前关闭了连接；这是 HAProxy 的 stats 套接字吗？</translation>
    </message>
</context>
<context>
    <name>fulcrum::SnapshotMapper</name>
    <message>
        <location filename="../../core/engine/linkfigures.cpp" line="65"/>
        <source>checks off</source>
        <translation>检查已关闭</translation>
    </message>
    <message>
        <location filename="../../core/engine/linkfigures.cpp" line="67"/>
        <source>not checked yet</source>
        <translation>尚未检查</translation>
    </message>
</context>
<context>
    <name>fulcrum::TlsFiles</name>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="144"/>
        <source>TLS with %1 failed: %2; if the engine asks for a client certificate (admin.tls.client_ca), add cert=PATH&amp;key=PATH to the address</source>
        <translation>与 %1 的 TLS 失败：%2；如果引擎要求客户端证书（admin.tls.client_ca），请在地址中加上 cert=PATH&amp;key=PATH</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="149"/>
        <source>%1 closed the connection without an answer; if the engine serves TLS (admin.tls), write https://</source>
        <translation>%1 未作应答就关闭了连接；如果引擎使用 TLS（admin.tls），请写 https://</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="154"/>
        <source>%1 closed the connection without an answer; if the engine asks for a client certificate (admin.tls.client_ca), add cert=PATH&amp;key=PATH to the address</source>
        <translation>%1 未作应答就关闭了连接；如果引擎要求客户端证书（admin.tls.client_ca），请在地址中加上 cert=PATH&amp;key=PATH</translation>
    </message>
    <message>
        <location filename="../../core/admin/adminclient.cpp" line="157"/>
        <source>%1 closed the connection without an answer; does the engine trust the client certificate %2? It must come from the CA in its admin.tls.client_ca</source>
        <translation>%1 未作应答就关闭了连接；引擎是否信任客户端证书 %2？它必须由引擎 admin.tls.client_ca 中的 CA 签发</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="30"/>
        <source>cannot read the %1 %2: %3; give a readable PEM file</source>
        <translation>无法读取%1 %2：%3；请提供可读的 PEM 文件</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="45"/>
        <source>the %1 %2 holds no PEM certificate (-----BEGIN CERTIFICATE-----)</source>
        <translation>%1 %2 中没有 PEM 证书（-----BEGIN CERTIFICATE-----）</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="24"/>
        <source>the %1 %2 can be read by others (mode %3); run: chmod 600 %2</source>
        <translation>%1 %2 可被他人读取（权限 %3）；请运行：chmod 600 %2</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="61"/>
        <source>the %1 %2 is not an unencrypted PEM private key (RSA or EC); decrypt it with: openssl pkey -in KEY -out %2</source>
        <translation>%1 %2 不是未加密的 PEM 私钥（RSA 或 EC）；请用以下命令解密：openssl pkey -in KEY -out %2</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="143"/>
        <source>&quot;%1&quot;: pin=%2 is not a certificate fingerprint; write pin=sha256: and the 32 bytes in hex, as openssl x509 -noout -fingerprint -sha256 -in CERT prints them</source>
        <translation>“%1”：pin=%2 不是证书指纹；请写 pin=sha256: 加上 32 字节的十六进制值，与 openssl x509 -noout -fingerprint -sha256 -in CERT 的输出一致</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="150"/>
        <source>&quot;%1&quot;: a client certificate needs its key: give both cert=PATH and key=PATH</source>
        <translation>“%1”：客户端证书需要其私钥：请同时提供 cert=PATH 和 key=PATH</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="174"/>
        <source>CA file</source>
        <translation>CA 文件</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="180"/>
        <source>client certificate</source>
        <translation>客户端证书</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="183"/>
        <source>client key</source>
        <translation>客户端私钥</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="210"/>
        <source>certificate</source>
        <translation>证书</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="211"/>
        <source>key</source>
        <translation>私钥</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="222"/>
        <source>client CA file</source>
        <translation>客户端 CA 文件</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="233"/>
        <source>%1: the key %2 does not belong to the certificate %3; give the key the certificate was made for</source>
        <translation>%1：私钥 %2 与证书 %3 不匹配；请提供该证书对应的私钥</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="247"/>
        <source>its certificate expired on %1 (UTC); renew it on the server</source>
        <translation>其证书已于 %1（UTC）过期；请在服务器上更新</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="250"/>
        <source>its certificate is not valid before %1 (UTC); check the clocks of both machines</source>
        <translation>其证书在 %1（UTC）之前无效；请检查两台机器的时钟</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="253"/>
        <source>its certificate is for %1, not this host name; connect by a name it carries, or pin it</source>
        <translation>其证书签发给 %1，而非此主机名；请用证书中的名称连接，或固定（pin）该证书</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="264"/>
        <source>its certificate (%1) is not signed by a CA this side trusts; give the CA file (ca=PATH), or check the fingerprint on the server (openssl x509 -noout -fingerprint -sha256 -in CERT) and pin it (pin=%1)</source>
        <translation>其证书（%1）不是由本端信任的 CA 签发；请提供 CA 文件（ca=PATH），或在服务器上核对指纹（openssl x509 -noout -fingerprint -sha256 -in CERT）后固定它（pin=%1）</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="257"/>
        <source>it sent no certificate</source>
        <translation>对方未发送证书</translation>
    </message>
    <message>
        <location filename="../../core/common/tlsfiles.cpp" line="271"/>
        <source>TLS with %1 refused: %2</source>
        <translation>拒绝与 %1 建立 TLS：%2</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::EventModel</name>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="178"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="181"/>
        <source>%1: %2 → %3</source>
        <translation>%1：%2 → %3</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/eventmodel.cpp" line="202"/>
        <source>Enter or double-click folds these %n changes into one row</source>
        <translation>
            <numerusform>按 Enter 或双击，将这 %n 次变化折叠为一行</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/eventmodel.cpp" line="203"/>
        <source>Enter or double-click shows each of these %n changes</source>
        <translation>
            <numerusform>按 Enter 或双击，逐条显示这 %n 次变化</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/eventmodel.cpp" line="220"/>
        <source>▸ flapping: %n changes in %1 · now %2</source>
        <translation>
            <numerusform>▸ 抖动：%1 内 %n 次变化 · 当前 %2</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="248"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="249"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="250"/>
        <source>Who</source>
        <translation>操作者</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="251"/>
        <source>Target</source>
        <translation>对象</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="252"/>
        <source>Change</source>
        <translation>变更</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="253"/>
        <source>Detail</source>
        <translation>详情</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::ExportReportDialog</name>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="41"/>
        <source>Export report</source>
        <translation>导出报告</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="44"/>
        <source>Last 15 minutes</source>
        <translation>最近 15 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="44"/>
        <source>Last hour</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="44"/>
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="44"/>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="44"/>
        <source>Custom (from – to)</source>
        <translation>自定义（从 – 到）</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="55"/>
        <source>PDF (A4, charts)</source>
        <translation>PDF（A4，含图表）</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="56"/>
        <source>HTML (one file, opens offline)</source>
        <translation>HTML（单个文件，可离线打开）</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="57"/>
        <source>CSV (one file per section)</source>
        <translation>CSV（每个部分一个文件）</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="58"/>
        <source>JSON</source>
        <translation>JSON</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="65"/>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="70"/>
        <source>CSV writes one file per section next to this name: NAME-servers.csv, NAME-pools.csv, …</source>
        <translation>CSV 会在此文件名旁为每个部分各写一个文件：NAME-servers.csv、NAME-pools.csv、…</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="74"/>
        <source>&amp;Window:</source>
        <translation>时间范围(&amp;W)：</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="75"/>
        <source>&amp;From:</source>
        <translation>从(&amp;F)：</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="76"/>
        <source>&amp;To:</source>
        <translation>到(&amp;T)：</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="77"/>
        <source>F&amp;ormat:</source>
        <translation>格式(&amp;O)：</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="79"/>
        <source>F&amp;ile:</source>
        <translation>文件(&amp;I)：</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="90"/>
        <source>&amp;Export</source>
        <translation>导出(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="138"/>
        <source>There is no engine to build the report.</source>
        <translation>没有可生成报告的引擎。</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="143"/>
        <source>The window is empty: “To” must be after “From”.</source>
        <translation>时间范围为空：“到”必须晚于“从”。</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="148"/>
        <source>Choose the file to write the report to.</source>
        <translation>请选择报告要写入的文件。</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="152"/>
        <source>The folder %1 does not exist; choose another file.</source>
        <translation>文件夹 %1 不存在；请选择其他文件。</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="155"/>
        <source>Building the report…</source>
        <translation>正在生成报告…</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="175"/>
        <source>Report written: %1</source>
        <translation>报告已写入：%1</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="178"/>
        <source>Export cancelled.</source>
        <translation>导出已取消。</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="181"/>
        <source>The report was not written: %1</source>
        <translation>报告未写入：%1</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="192"/>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="202"/>
        <source>Export report to</source>
        <translation>导出报告到</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="230"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="230"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::ForceReleaseDialog</name>
    <message>
        <location filename="../../ui/locksview.cpp" line="39"/>
        <source>Force-release a lock</source>
        <translation>强制释放锁</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="43"/>
        <source>The holder may still be working under this lock. Releasing it lets another client in at once. Only the holder shown below is released: if the lock changes hands before you confirm, nothing is deleted.</source>
        <translation>持有者可能仍在该锁保护下工作。释放后其他客户端会立即进入。只会释放下面显示的持有者：如果在您确认前锁已易主，则不会删除任何内容。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="49"/>
        <source>What a release does on %1: %2</source>
        <translation>在 %1 上释放的效果：%2</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="56"/>
        <source>What cancelling the root blocker&apos;s query does: %1</source>
        <translation>取消根阻塞者的查询会做什么：%1</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="62"/>
        <source>What revoking the holder&apos;s lease does: %1</source>
        <translation>撤销持有者租约的效果：%1</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="74"/>
        <source>Endpoint:</source>
        <translation>端点：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="75"/>
        <source>Key:</source>
        <translation>键：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="75"/>
        <source>Lock:</source>
        <translation>锁：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="76"/>
        <source>Holder:</source>
        <translation>持有者：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="80"/>
        <source>Session:</source>
        <translation>会话：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="80"/>
        <source>Lease:</source>
        <translation>租约：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="87"/>
        <source>none: only the lock&apos;s key</source>
        <translation>无：只有锁本身的键</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="90"/>
        <source>Other keys on the lease (revoking deletes them too):</source>
        <translation>租约上的其他键（撤销时一并删除）：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="98"/>
        <source>none besides this one</source>
        <translation>除此之外没有</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="101"/>
        <source>Other locks the session holds (ending it frees them too):</source>
        <translation>该会话持有的其他锁（结束会话也会释放它们）：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="103"/>
        <source>yes: ending the session rolls it back (%1)</source>
        <translation>是：结束会话会回滚该事务（%1）</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="104"/>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="106"/>
        <source>Inside a transaction:</source>
        <translation>是否在事务中：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="111"/>
        <source>Current or last query:</source>
        <translation>当前或最近的查询：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="114"/>
        <source>Held for:</source>
        <translation>已持有：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="114"/>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="117"/>
        <source>TTL:</source>
        <translation>TTL：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="117"/>
        <source>no expiry</source>
        <translation>永不过期</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="117"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="119"/>
        <source>Next in line:</source>
        <translation>下一个等待者：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="119"/>
        <source>nobody waits</source>
        <translation>无人等待</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="120"/>
        <source>%1 (%n waiting)</source>
        <translation>
            <numerusform>%1（%n 个等待）</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="126"/>
        <source>type the key to confirm</source>
        <translation>输入键名以确认</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="127"/>
        <source>This lock never expires. Type its key:</source>
        <translation>此锁永不过期。请输入其键名：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="134"/>
        <source>Force-release</source>
        <translation>强制释放</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="141"/>
        <source>Ask the holder to release</source>
        <translation>请求持有者释放</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="144"/>
        <source>Writes Curator&apos;s revoke request on the holder&apos;s node. A holder that made its lock revocable releases it itself, cleanly; one that did not ignores it and nothing changes.</source>
        <translation>在持有者的节点上写入 Curator 的撤销请求。将锁设为可撤销的持有者会自行干净地释放；未设置的持有者会忽略它，什么也不会改变。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="150"/>
        <source>Cancel the root blocker&apos;s query</source>
        <translation>取消根阻塞者的查询</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="157"/>
        <source>Revoke the holder&apos;s lease</source>
        <translation>撤销持有者的租约</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="160"/>
        <source>Ends the holder&apos;s session: it learns it lost the lock. Every key on the lease is deleted.</source>
        <translation>结束持有者的会话：它会得知自己失去了锁。租约上的每个键都会被删除。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="175"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="200"/>
        <source>Asking the engine…</source>
        <translation>正在询问引擎…</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="201"/>
        <source>Released: the lock was deleted.</source>
        <translation>已释放：锁已删除。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="202"/>
        <source>Asked: the holder was asked to release; the table shows when it has.</source>
        <translation>已请求：已请求持有者释放；释放后表格会显示。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="203"/>
        <source>Revoked: the holder&apos;s lease is gone, with every key on it.</source>
        <translation>已撤销：持有者的租约及其上的所有键均已删除。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="204"/>
        <source>Not released: nothing was deleted.</source>
        <translation>未释放：没有删除任何内容。</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::LiveLoadView</name>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="91"/>
        <source>%1 req/s</source>
        <translation>%1 请求/秒</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="92"/>
        <source>%1 ms</source>
        <translation>%1 毫秒</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="93"/>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="337"/>
        <source>Live (last 5 min)</source>
        <translation>实时（最近 5 分钟）</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="338"/>
        <source>History: last 15 min</source>
        <translation>历史：最近 15 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="339"/>
        <source>History: last 1 h</source>
        <translation>历史：最近 1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="340"/>
        <source>History: last 24 h</source>
        <translation>历史：最近 24 小时</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="341"/>
        <source>History: last 7 days</source>
        <translation>历史：最近 7 天</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="342"/>
        <source>History: custom window…</source>
        <translation>历史：自定义时间段…</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="343"/>
        <source>&amp;Show:</source>
        <translation>显示(&amp;S)：</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="345"/>
        <location filename="../../ui/liveloadview.cpp" line="1042"/>
        <source>&amp;Pause</source>
        <translation>暂停(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="347"/>
        <source>Stop the charts where they are to read them; the engine keeps recording</source>
        <translation>让图表停在当前位置以便查看；引擎会继续记录</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="348"/>
        <source>Re&amp;load</source>
        <translation>重新加载(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="350"/>
        <source>Ask the engine&apos;s history again, up to now</source>
        <translation>重新向引擎查询截至现在的历史数据</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="388"/>
        <source>Requests per second</source>
        <translation>每秒请求数</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="388"/>
        <source>p95 latency (ms)</source>
        <translation>p95 延迟（毫秒）</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="388"/>
        <source>Errors (5xx %)</source>
        <translation>错误率（5xx %）</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="456"/>
        <source>p95 latency</source>
        <translation>p95 延迟</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="458"/>
        <source>5xx errors</source>
        <translation>5xx 错误</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="459"/>
        <source>Not reported by this engine: %1.</source>
        <translation>此引擎不提供：%1。</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="467"/>
        <location filename="../../ui/liveloadview.cpp" line="470"/>
        <source>This engine keeps no history; only the live view is available.</source>
        <translation>此引擎不保存历史数据；只能查看实时视图。</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="470"/>
        <source>Live, or a window of the engine&apos;s history</source>
        <translation>实时，或引擎历史数据中的一个时间段</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="589"/>
        <location filename="../../ui/liveloadview.cpp" line="968"/>
        <source>%1 weight %2 → %3</source>
        <translation>%1 权重 %2 → %3</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="596"/>
        <location filename="../../ui/liveloadview.cpp" line="966"/>
        <source>%1 → %2</source>
        <translation>%1 → %2</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="655"/>
        <source>%1 of %2 servers: the selection in Servers · &lt;a href=&quot;all&quot;&gt;show all&lt;/a&gt;</source>
        <translation>显示 %2 台服务器中的 %1 台：即“服务器”页中的选择 · &lt;a href=&quot;all&quot;&gt;显示全部&lt;/a&gt;</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="657"/>
        <source>the first %1 of %2 servers; select servers in the Servers tab to choose</source>
        <translation>显示 %2 台服务器中的前 %1 台；可在“服务器”页中选择</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="871"/>
        <source>Paused at %1: the charts stand still; the engine keeps recording. Resume to follow live.</source>
        <translation>已于 %1 暂停：图表停止滚动；引擎继续记录。点击“继续”以跟随实时数据。</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="921"/>
        <source>Loading %1 – %2 from the engine&apos;s history…</source>
        <translation>正在从引擎历史数据加载 %1 – %2…</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="935"/>
        <source>No history to show: %1</source>
        <translation>没有可显示的历史数据：%1</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="977"/>
        <source>Nothing recorded %1 – %2: the engine&apos;s history has no samples in this window.</source>
        <translation>%1 – %2 没有记录：引擎的历史数据在此时间段内没有样本。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/liveloadview.cpp" line="979"/>
        <source>History %1 – %2 · one point per %3 · %n server(s)</source>
        <translation>
            <numerusform>历史 %1 – %2 · 每 %3 一个点 · %n 台服务器</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="981"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="981"/>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="981"/>
        <source>%1 h</source>
        <translation>%1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="986"/>
        <source>(not shown: %1)</source>
        <translation>（未显示：%1）</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="1000"/>
        <source>History window</source>
        <translation>历史时间段</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="1011"/>
        <source>&amp;From:</source>
        <translation>从(&amp;F)：</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="1012"/>
        <source>&amp;To:</source>
        <translation>到(&amp;T)：</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="1018"/>
        <source>&amp;Show</source>
        <translation>显示(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="1023"/>
        <source>&quot;To&quot; must be after &quot;From&quot;; the window %1 – %2 is empty.</source>
        <translation>“到”必须晚于“从”；时间段 %1 – %2 为空。</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="1042"/>
        <source>&amp;Resume</source>
        <translation>继续(&amp;R)</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::LockModel</name>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="163"/>
        <source>(empty value)</source>
        <translation>（空值）</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="186"/>
        <location filename="../../ui/lockmodel.cpp" line="191"/>
        <source>no expiry</source>
        <translation>永不过期</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="186"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="193"/>
        <source>orphaned waiter</source>
        <translation>孤立等待者</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="195"/>
        <source>long-held</source>
        <translation>长时间持有</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="197"/>
        <source>churning</source>
        <translation>频繁易主</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="199"/>
        <source>split: no majority</source>
        <translation>分裂：无多数</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="201"/>
        <source>minority leftover</source>
        <translation>少数残留</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="203"/>
        <source>TTL skew</source>
        <translation>TTL 偏差</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="221"/>
        <source>As of %1: %2 is not connected, so this may have changed</source>
        <translation>截至 %1：%2 未连接，因此可能已有变化</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="227"/>
        <source>%1
released by its node: %2</source>
        <translation>%1
按其节点释放：%2</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="244"/>
        <source>Key</source>
        <translation>键</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="244"/>
        <source>Lock</source>
        <translation>锁</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="245"/>
        <source>Session</source>
        <translation>会话</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="246"/>
        <source>Client</source>
        <translation>客户端</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="247"/>
        <source>Waiters</source>
        <translation>等待者</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="248"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="249"/>
        <source>Holder</source>
        <translation>持有者</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="250"/>
        <source>TTL</source>
        <translation>TTL</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="251"/>
        <source>Held for</source>
        <translation>已持有</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="252"/>
        <source>Flags</source>
        <translation>标记</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::LocksView</name>
    <message>
        <location filename="../../ui/locksview.cpp" line="302"/>
        <source>Force-release…</source>
        <translation>强制释放…</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="632"/>
        <source>reconnecting</source>
        <translation>正在重连</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="632"/>
        <source>disconnected</source>
        <translation>已断开</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="240"/>
        <source>Filter locks by name, holder or kind</source>
        <translation>按名称、持有者或类型筛选锁</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="247"/>
        <source>Endpoint:</source>
        <translation>端点：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="275"/>
        <source>Follow changes live…</source>
        <translation>实时跟随变更…</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="327"/>
        <source>Change notifications not turned on</source>
        <translation>变更通知未开启</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="833"/>
        <source>No lock endpoint configured: add one to the engine&apos;s config, or under Settings → Locks for the embedded demo.</source>
        <translation>未配置锁端点：请在引擎的配置中添加；内置演示引擎可在 设置 → 锁 中添加。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="402"/>
        <source>TLS NOT VERIFIED (tls_insecure)</source>
        <translation>TLS 未验证 (tls_insecure)</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="407"/>
        <source>The server&apos;s certificate is not checked (tls_insecure in the config): anyone on the path can read and change what Fulcrum sees and releases.</source>
        <translation>未检查服务器证书（配置中设置了 tls_insecure）：链路上的任何人都可以读取并篡改 Fulcrum 看到和释放的内容。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="416"/>
        <source>pid %1</source>
        <translation>进程 %1</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="428"/>
        <source>, waits on %1</source>
        <translation>，等待 %1</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="447"/>
        <source>%1 — %2, held by %3</source>
        <translation>%1 — %2，由 %3 持有</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="449"/>
        <source>Holder says: %1</source>
        <translation>持有者标识：%1</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="451"/>
        <source>Session %1</source>
        <translation>会话 %1</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="453"/>
        <source>Session %1, client %2</source>
        <translation>会话 %1，客户端 %2</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="453"/>
        <location filename="../../ui/locksview.cpp" line="454"/>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="458"/>
        <source>Taken at %1 (the database&apos;s time)</source>
        <translation>获取于 %1（数据库时间）</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="460"/>
        <source>Free in %1 s unless its node extends it; a release expires the row now but does not stop the job</source>
        <translation>%1 秒后释放，除非其节点续期；强制释放会立即使该行过期，但不会停止正在运行的任务</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="463"/>
        <source>Queued for it at %1 (backend&apos;s time)</source>
        <translation>于 %1 开始排队（后端时间）</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="467"/>
        <source>Read at %1, when %2 last announced a change to it (the table is live)</source>
        <translation>读取于 %1，即 %2 最近一次宣告其变更之时（此表为实时）</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="470"/>
        <source>Read at %1 by the last pass</source>
        <translation>由上一次扫描读取于 %1</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="475"/>
        <source>Shared by %n holder(s): %1</source>
        <translation>
            <numerusform>由 %n 个持有者共享：%1</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="479"/>
        <source>Nobody waits.</source>
        <translation>无人等待。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="483"/>
        <source>Reading the waiters&apos; details (the last pass listed them by name)…</source>
        <translation>正在读取等待者的详情（上一轮巡检只列出了名称）…</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="485"/>
        <source>The waiters&apos; details could not be read: %1</source>
        <translation>无法读取等待者的详情：%1</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="490"/>
        <source>%1. %2</source>
        <translation>%1. %2</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="492"/>
        <source>, session %1</source>
        <translation>，会话 %1</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="494"/>
        <source>, waiting since %1</source>
        <translation>，自 %1 起等待</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="503"/>
        <source>On %1 of %2 masters (a majority is %3):</source>
        <translation>在 %2 个主节点中的 %1 个上（多数为 %3）：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="512"/>
        <source>no expiry</source>
        <translation>永不过期</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="512"/>
        <source>TTL %1 s</source>
        <translation>TTL %1 秒</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="513"/>
        <source>(not the majority&apos;s)</source>
        <translation>（非多数方）</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="530"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="642"/>
        <source>%1 %2 is %3%4. The locks below are as of %5 and may have changed; their countdowns are stopped, and force-release waits until it is connected again.</source>
        <translation>%1 %2 %3%4。下列锁截至 %5，可能已有变化；倒计时已停止，强制释放将等到重新连接后进行。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="661"/>
        <source>%1 keys scanned</source>
        <translation>已扫描 %1 个键</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="660"/>
        <source>%1 nodes read</source>
        <translation>已读取 %1 个节点</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="662"/>
        <source>%1 keys scanned (%2)</source>
        <translation>已扫描 %1 个键（%2）</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="681"/>
        <source>Live: rows change as %1 announces each change (%n change(s) followed since %2); a full pass reconciles now and then.</source>
        <translation>
            <numerusform>实时：%1 每宣告一次变更，对应行即刻更新（自 %2 起已跟随 %n 次变更）；完整扫描会不时进行核对。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="686"/>
        <source>Resyncing: %1</source>
        <translation>正在重新同步：%1</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="689"/>
        <source>Polled: the whole table is read again on a timer.</source>
        <translation>轮询：整张表按定时器重新读取。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="689"/>
        <source>Polled: %1</source>
        <translation>轮询：%1</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="703"/>
        <source>Follow %1 live?</source>
        <translation>实时跟随 %1？</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="704"/>
        <source>This sets %1 on the server. It is server-wide: Redis then publishes a message for every change to any key of those classes, which costs it a little CPU on every write, whether or not Fulcrum listens. Fulcrum adds the missing flags and removes none. The change is written to the audit log under your name.

Why it is polled now: %2</source>
        <translation>这将在服务器上设置 %1。该设置对整个服务器生效：此后这些类别中任何键的每次变更，Redis 都会发布一条消息，无论 Fulcrum 是否在监听，每次写入都会多花一点 CPU。Fulcrum 只补上缺少的标志，不删除任何标志。此更改将以你的名义写入审计日志。

目前为何轮询：%2</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="709"/>
        <source>Turn on and follow</source>
        <translation>开启并跟随</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="756"/>
        <source>… and %n more, not kept (a pass keeps the first %1)</source>
        <translation>
            <numerusform>…… 另有 %n 个未保留（每轮扫描只保留前 %1 个）</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="766"/>
        <source>Not shown as locks: %1</source>
        <translation>未显示为锁的键：%1</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="802"/>
        <source>%n matched key(s) could not be read, so a lock among them would not show (%1: %2).</source>
        <translation>
            <numerusform>%n 个匹配的键无法读取，其中若有锁也不会显示（%1：%2）。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="810"/>
        <source>%n more matched key(s) not kept: could not be read, or not locks (a pass keeps %1 notes).</source>
        <translation>
            <numerusform>另有 %n 个匹配的键未保留：无法读取或不是锁（每轮扫描保留 %1 条说明）。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="814"/>
        <source>%n matched key(s) are not locks (another type, another format, too large) and are not shown.</source>
        <translation>
            <numerusform>%n 个匹配的键不是锁（其他类型、其他格式或过大），未显示。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="822"/>
        <source>Show them…</source>
        <translation>查看这些键…</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="835"/>
        <source>Last scan failed: %1</source>
        <translation>上次扫描失败：%1</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="853"/>
        <source>Last scan failed</source>
        <translation>上次扫描失败</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="855"/>
        <source>%1 of %n lock(s) shown (filter), %2 nodes read</source>
        <translation>
            <numerusform>显示 %n 个锁中的 %1 个（筛选），已读取 %2 个节点</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="857"/>
        <source>%n lock(s), %1 nodes read</source>
        <translation>
            <numerusform>%n 个锁，已读取 %1 个节点</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="859"/>
        <source>%1 of %n lock(s) shown (filter), %2 keys scanned</source>
        <translation>
            <numerusform>显示 %n 个锁中的 %1 个（已筛选），已扫描 %2 个键</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="861"/>
        <source>%n lock(s), live</source>
        <translation>
            <numerusform>%n 把锁，实时</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="863"/>
        <source>%n lock(s), %1 keys scanned</source>
        <translation>
            <numerusform>%n 个锁，已扫描 %1 个键</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::MainWindow</name>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="355"/>
        <source>&amp;Export report…</source>
        <translation>导出报告(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="355"/>
        <source>Health report for a window of the engine&apos;s history: PDF, HTML, CSV or JSON</source>
        <translation>引擎历史中某一时间范围的健康报告：PDF、HTML、CSV 或 JSON</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="54"/>
        <location filename="../../ui/mainwindow.cpp" line="606"/>
        <source>Fulcrum — %1</source>
        <translation>Fulcrum — %1</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="58"/>
        <source>Move this much traffic?</source>
        <translation>要迁移这么多流量吗？</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="63"/>
        <source>Take capacity out of a pool?</source>
        <translation>要从池中撤下容量吗？</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="73"/>
        <source>waiting for the first snapshot</source>
        <translation>正在等待第一个快照</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="127"/>
        <source>&amp;Live load</source>
        <translation>实时负载(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="137"/>
        <source>&amp;Pool:</source>
        <translation>池(&amp;P)：</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="150"/>
        <source>&amp;Weights</source>
        <translation>权重(&amp;W)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="166"/>
        <source>Filter servers by name, pool, state or reason</source>
        <translation>按名称、池、状态或原因筛选服务器</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="196"/>
        <source>&amp;Servers</source>
        <translation>服务器(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="235"/>
        <source>L&amp;ocks</source>
        <translation>锁(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="241"/>
        <source>Filter events by server, kind, who or text</source>
        <translation>按服务器、类型、操作者或文本筛选事件</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="246"/>
        <source>All kinds</source>
        <translation>所有类型</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="252"/>
        <source>All severities</source>
        <translation>所有级别</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="253"/>
        <source>Warnings and errors</source>
        <translation>警告和错误</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="254"/>
        <source>Errors only</source>
        <translation>仅错误</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="257"/>
        <source>Any time</source>
        <translation>任何时间</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="258"/>
        <source>Last 15 minutes</source>
        <translation>最近 15 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="259"/>
        <source>Last hour</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="260"/>
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="304"/>
        <source>&amp;Events</source>
        <translation>事件(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="329"/>
        <location filename="../../ui/mainwindow.cpp" line="550"/>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="334"/>
        <source>&amp;Drain</source>
        <translation>排空(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="335"/>
        <source>Drain: no new requests, running ones finish, checks go on</source>
        <translation>排空：不再分配新请求，进行中的请求继续完成，健康检查照常进行</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="336"/>
        <source>&amp;Maintenance</source>
        <translation>维护(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="337"/>
        <source>Maintenance: no traffic and no health checks</source>
        <translation>维护：无流量，也不做健康检查</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="338"/>
        <source>&amp;Ready</source>
        <translation>就绪(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="339"/>
        <source>Ready: back into rotation (health checks decide up or down)</source>
        <translation>就绪：重新加入轮转（由健康检查决定上线或下线）</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="340"/>
        <source>Set &amp;weight…</source>
        <translation>设置权重(&amp;W)…</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="341"/>
        <source>Set the weight of the selected server</source>
        <translation>设置所选服务器的权重</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="351"/>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="553"/>
        <source>no answer</source>
        <translation>没有应答</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="554"/>
        <source>The engine is not answering: %1. The views show what it last sent and carry on when it answers.</source>
        <translation>引擎没有应答：%1。各视图显示它最后发送的内容，应答恢复后继续更新。</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="555"/>
        <source>Cannot reach the engine: %1. Nothing to show until it answers.</source>
        <translation>无法连接引擎：%1。在它应答之前没有可显示的内容。</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="563"/>
        <source>%1 — UNENCRYPTED</source>
        <translation>%1 — 未加密</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="692"/>
        <source>Settings saved. Engine and lock endpoint changes apply at the next start; language too.</source>
        <translation>设置已保存。引擎和锁端点的更改在下次启动时生效；语言也是。</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="358"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="358"/>
        <source>Close the console (a remote engine keeps running)</source>
        <translation>关闭控制台（远程引擎继续运行）</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="360"/>
        <source>&amp;Find</source>
        <translation>查找(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="360"/>
        <source>Filter the current view</source>
        <translation>筛选当前视图</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="374"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="379"/>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="384"/>
        <source>Se&amp;rver</source>
        <translation>服务器(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="387"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="388"/>
        <source>Live load</source>
        <translation>实时负载</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="388"/>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="388"/>
        <source>Servers</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="388"/>
        <source>Locks</source>
        <translation>锁</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="388"/>
        <source>Events</source>
        <translation>事件</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="390"/>
        <source>Show the %1 view</source>
        <translation>显示“%1”视图</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="395"/>
        <source>&amp;Theme</source>
        <translation>主题(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="398"/>
        <source>&amp;System</source>
        <translation>跟随系统(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="398"/>
        <source>&amp;Light</source>
        <translation>浅色(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="398"/>
        <source>&amp;Dark</source>
        <translation>深色(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="410"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="411"/>
        <source>&amp;Keyboard shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="411"/>
        <source>Every shortcut of the console</source>
        <translation>控制台的所有快捷键</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="420"/>
        <source>&amp;At 3 a.m.: what to type</source>
        <translation>凌晨 3 点：该输入什么(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="420"/>
        <source>The README&apos;s table of what to do in an incident</source>
        <translation>README 中事故处理步骤表</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="423"/>
        <source>&amp;About Fulcrum</source>
        <translation>关于 Fulcrum(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="426"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="432"/>
        <source>Server actions</source>
        <translation>服务器操作</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="78"/>
        <location filename="../../ui/mainwindow.cpp" line="495"/>
        <source>last refresh %1</source>
        <translation>最后刷新 %1</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="85"/>
        <location filename="../../ui/mainwindow.cpp" line="589"/>
        <source>Locks: none configured</source>
        <translation>锁：未配置</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="85"/>
        <source>Locks: connecting</source>
        <translation>锁：正在连接</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="346"/>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="349"/>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="351"/>
        <source>Engine, lock endpoints, language</source>
        <translation>引擎、锁端点、语言</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="537"/>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="544"/>
        <source>Engine: connected</source>
        <translation>引擎：已连接</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="545"/>
        <source>Engine: connecting</source>
        <translation>引擎：正在连接</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="546"/>
        <source>Engine: disconnected</source>
        <translation>引擎：已断开</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="580"/>
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="580"/>
        <source>connecting</source>
        <translation>正在连接</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="580"/>
        <source>disconnected</source>
        <translation>已断开</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="588"/>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="639"/>
        <source>Draining %1</source>
        <translation>排空 %1</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="639"/>
        <source>Maintenance for %1</source>
        <translation>将 %1 设为维护</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="639"/>
        <source>Ready for %1</source>
        <translation>将 %1 设为就绪</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="644"/>
        <source>Setting %1 to %2</source>
        <translation>将 %1 设为 %2</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="658"/>
        <source>Weight of %1 (%2–%3):</source>
        <translation>%1 的权重（%2–%3）：</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="659"/>
        <source>Set weight</source>
        <translation>设置权重</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="657"/>
        <source>Weight of %1 (0–%2; 0 = no new traffic):</source>
        <translation>%1 的权重（0–%2；0 = 不接收新流量）：</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="589"/>
        <source>Locks: %1</source>
        <translation>锁：%1</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="689"/>
        <source>Settings saved. %1 Language changes apply at the next start.</source>
        <translation>设置已保存。%1 语言设置在下次启动时生效。</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="757"/>
        <source>cannot create screenshot directory %1; check the path and permissions</source>
        <translation>无法创建截图目录 %1；请检查路径和权限</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="783"/>
        <source>cannot write %1; check the directory is writable</source>
        <translation>无法写入 %1；请检查目录是否可写</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::PoolStrip</name>
    <message>
        <location filename="../../ui/poolstrip.cpp" line="81"/>
        <source>NO SERVER: %1/%2 up, none takes traffic</source>
        <translation>无可用服务器：%1/%2 在线，没有服务器接收流量</translation>
    </message>
    <message>
        <location filename="../../ui/poolstrip.cpp" line="82"/>
        <source>503 to every request (%1/s)</source>
        <translation>所有请求均返回 503（%1/秒）</translation>
    </message>
    <message>
        <location filename="../../ui/poolstrip.cpp" line="83"/>
        <source>503 to every request</source>
        <translation>所有请求均返回 503</translation>
    </message>
    <message>
        <location filename="../../ui/poolstrip.cpp" line="86"/>
        <source>%1/%2 up</source>
        <translation>%1/%2 在线</translation>
    </message>
    <message>
        <location filename="../../ui/poolstrip.cpp" line="88"/>
        <source>PANIC</source>
        <translation>恐慌模式</translation>
    </message>
    <message>
        <location filename="../../ui/poolstrip.cpp" line="89"/>
        <source>%1 req/s</source>
        <translation>%1 请求/秒</translation>
    </message>
    <message>
        <location filename="../../ui/poolstrip.cpp" line="91"/>
        <source>5xx %1 %</source>
        <translation>5xx %1 %</translation>
    </message>
    <message>
        <location filename="../../ui/poolstrip.cpp" line="93"/>
        <source>p95 %1 ms</source>
        <translation>p95 %1 毫秒</translation>
    </message>
    <message>
        <location filename="../../ui/poolstrip.cpp" line="132"/>
        <source>Pool %1 cannot serve: no server is up with a weight above 0, so the balancer answers 503 to every request. Bring a server back (Ready) or raise a weight.</source>
        <translation>池 %1 无法提供服务：没有在线且权重大于 0 的服务器，负载均衡器对每个请求返回 503。请让一台服务器恢复（就绪）或提高权重。</translation>
    </message>
    <message>
        <location filename="../../ui/poolstrip.cpp" line="134"/>
        <source>Pool %1: 5xx counts the servers&apos; 5xx and failed connections and the 503s the balancer answered itself; p95 is the worst server&apos;s.</source>
        <translation>池 %1：5xx 包括各服务器的 5xx 和连接失败，以及负载均衡器自己返回的 503；p95 取最差的服务器。</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::PoolTotalsModel</name>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="50"/>
        <source>%1 ms</source>
        <translation>%1 毫秒</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="54"/>
        <source>Σ total</source>
        <translation>Σ 合计</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="58"/>
        <source>NO SERVER (%1/%2 up)</source>
        <translation>无可用服务器（%1/%2 在线）</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="59"/>
        <source>%1/%2 up · PANIC</source>
        <translation>%1/%2 在线 · 恐慌模式</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="59"/>
        <source>%1/%2 up</source>
        <translation>%1/%2 在线</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="62"/>
        <source>503 to every request</source>
        <translation>所有请求都返回 503</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="63"/>
        <source>%1/s answered 503 by the proxy</source>
        <translation>代理自身每秒返回 %1 个 503</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="72"/>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="94"/>
        <source>The totals of pool %1</source>
        <translation>池 %1 的合计</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="97"/>
        <source>All servers&apos; requests per second, plus the 503s the proxy answered itself</source>
        <translation>所有服务器的每秒请求数，加上代理自身返回的 503</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="98"/>
        <source>The servers&apos; p50, weighted by their requests</source>
        <translation>各服务器的 p50，按请求数加权</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="100"/>
        <source>The worst server&apos;s, among servers with traffic</source>
        <translation>有流量的服务器中最差的一台</translation>
    </message>
    <message>
        <location filename="../../ui/pooltotals.cpp" line="101"/>
        <source>5xx and failed connections of all servers plus the proxy&apos;s own 503s, over all requests</source>
        <translation>所有服务器的 5xx 与连接失败，加上代理自身的 503，占全部请求的比例</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::SavedEngines</name>
    <message>
        <location filename="../../ui/savedengines.cpp" line="18"/>
        <source>&quot;%1&quot; is not a kind of engine this console knows</source>
        <translation>“%1”不是此控制台认识的引擎类型</translation>
    </message>
    <message>
        <location filename="../../ui/savedengines.cpp" line="72"/>
        <source>%1 not opened: %2</source>
        <translation>未能打开 %1：%2</translation>
    </message>
    <message>
        <location filename="../../ui/savedengines.cpp" line="72"/>
        <source>name used twice or has a &apos;/&apos;</source>
        <translation>名称重复或包含“/”</translation>
    </message>
    <message>
        <location filename="../../ui/savedengines.cpp" line="76"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <location filename="../../ui/savedengines.cpp" line="83"/>
        <source>Engines opened: %1.</source>
        <translation>已打开引擎：%1。</translation>
    </message>
    <message>
        <location filename="../../ui/savedengines.cpp" line="85"/>
        <source>Engines removed: %1.</source>
        <translation>已移除引擎：%1。</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::ServerTableModel</name>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="175"/>
        <source>drained, empty</source>
        <translation>已排空</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/servertablemodel.cpp" line="175"/>
        <source>draining, %n left</source>
        <translation>
            <numerusform>排空中，剩 %n 个</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="181"/>
        <location filename="../../ui/servertablemodel.cpp" line="187"/>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="184"/>
        <location filename="../../ui/servertablemodel.cpp" line="185"/>
        <location filename="../../ui/servertablemodel.cpp" line="186"/>
        <source>%1 ms</source>
        <translation>%1 毫秒</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="190"/>
        <source>%1 s ago</source>
        <translation>%1 秒前</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="192"/>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="192"/>
        <source>not reported</source>
        <translation>未提供</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="221"/>
        <source>allowed: %1–%2</source>
        <translation>允许范围：%1–%2</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="320"/>
        <source>Type a new weight (%1–%2) to change it; Ctrl+Z undoes it</source>
        <translation>输入新权重（%1–%2）即可修改；按 Ctrl+Z 撤销</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="325"/>
        <source>Drained: nothing in flight, safe to stop it</source>
        <translation>已排空：无进行中的请求，可以安全停止</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/servertablemodel.cpp" line="326"/>
        <source>Draining: still serving %n request(s); stop it once this says empty</source>
        <translation>
            <numerusform>排空中：仍在处理 %n 个请求；显示“已排空”后再停止</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="337"/>
        <source>Requests being served now (connections in use); kept-alive idle connections are not counted</source>
        <translation>正在处理的请求（使用中的连接）；不计保持连接的空闲连接</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="341"/>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="342"/>
        <source>Pool</source>
        <translation>池</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="343"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="344"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="345"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="346"/>
        <source>Weight</source>
        <translation>权重</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="347"/>
        <source>Effective</source>
        <translation>生效权重</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="348"/>
        <source>Active</source>
        <translation>活动连接</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="349"/>
        <source>Req/s</source>
        <translation>请求/秒</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="350"/>
        <source>Share</source>
        <translation>份额</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="351"/>
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="352"/>
        <source>p95</source>
        <translation>p95</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="353"/>
        <source>p99</source>
        <translation>p99</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="354"/>
        <source>5xx</source>
        <translation>5xx</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="355"/>
        <source>Last check</source>
        <translation>上次检查</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="356"/>
        <source>In state</source>
        <translation>持续时间</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::SettingsDialog</name>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="49"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="56"/>
        <source>one per line: 127.0.0.1:6379 (Redis), zookeeper://127.0.0.1:2181 (ZooKeeper, locks under /locks), etcd://127.0.0.1:2379 (etcd; etcds:// for https), postgres://USER@127.0.0.1:5432/DB (PostgreSQL advisory locks and blocking chains), mysql://USER@127.0.0.1:3306/DB (MySQL/MariaDB named locks)</source>
        <translation>每行一个：127.0.0.1:6379（Redis）、zookeeper://127.0.0.1:2181（ZooKeeper，锁位于 /locks 下）、etcd://127.0.0.1:2379（etcd；https 用 etcds://）、postgres://USER@127.0.0.1:5432/DB（PostgreSQL 咨询锁与阻塞链）、mysql://USER@127.0.0.1:3306/DB（MySQL/MariaDB 命名锁）</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="62"/>
        <source>Lock key &amp;patterns:</source>
        <translation>锁键模式(&amp;P)：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="67"/>
        <source>unchanged; stored in the desktop keychain</source>
        <translation>未修改；保存在桌面密钥环中</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="70"/>
        <source>this build has no keychain support (qtkeychain-qt6-dev)</source>
        <translation>此版本不支持密钥环（qtkeychain-qt6-dev）</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="72"/>
        <source>Redis pass&amp;word:</source>
        <translation>Redis 密码(&amp;W)：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="73"/>
        <source>&amp;Test connection</source>
        <translation>测试连接(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="76"/>
        <source>The engine connects to the first Redis endpoint above and sends PING</source>
        <translation>由引擎连接上面第一个 Redis 端点并发送 PING</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="81"/>
        <source> % of traffic</source>
        <translation> % 的流量</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="83"/>
        <source>Ask before moving more than:</source>
        <translation>迁移流量超过此值时先确认：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="87"/>
        <source> % of its capacity</source>
        <translation> % 的容量</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="89"/>
        <source>Drain, maintenance or a weight change that would leave a pool below this share of the capacity it has now asks first; one that leaves it no server at all always asks</source>
        <translation>排空、维护或权重修改若会使池低于当前容量的这一比例，会先询问；若会使池没有任何服务器接收流量，则总会询问</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="91"/>
        <source>Ask before leaving a pool below:</source>
        <translation>池容量低于此值前先询问：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="93"/>
        <source>System language</source>
        <translation>系统语言</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="97"/>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="109"/>
        <source>Connection works: %1</source>
        <translation>连接正常：%1</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="109"/>
        <source>Connection failed: %1</source>
        <translation>连接失败：%1</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="125"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="125"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="271"/>
        <source>Add an engine (name and address) to test.</source>
        <translation>请先添加一个引擎（名称和地址）再测试。</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="397"/>
        <source>Add a lock endpoint (host:port, zookeeper://host:port, etcd://host:port, postgres://user@host:port/db or mysql://user@host:port/db) to test.</source>
        <translation>请添加一个锁端点（host:port、zookeeper://host:port、etcd://host:port、postgres://user@host:port/db 或 mysql://user@host:port/db）再测试。</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="412"/>
        <source>Testing %1…</source>
        <translation>正在测试 %1…</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="54"/>
        <source>&amp;Engines:</source>
        <translation>引擎(&amp;E)：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="60"/>
        <source>&amp;Lock endpoints:</source>
        <translation>锁端点(&amp;L)：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="125"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="131"/>
        <source>Engines the console attaches to when started without --demo (none: the in-process demo engine). %1</source>
        <translation>不带 --demo 启动时控制台连接的引擎（没有则使用进程内演示引擎）。%1</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="137"/>
        <source>&amp;Add</source>
        <translation>添加(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="138"/>
        <source>Re&amp;move</source>
        <translation>移除(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="143"/>
        <source>token of the selected engine: unchanged; stored in the desktop keychain</source>
        <translation>所选引擎的令牌：不变；保存在桌面钥匙串中</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="145"/>
        <source>no keychain in this build: start with --token-file or FULCRUM_TOKEN</source>
        <translation>此版本不支持钥匙串：请使用 --token-file 或 FULCRUM_TOKEN 启动</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="147"/>
        <source>Test e&amp;ngine</source>
        <translation>测试引擎(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="149"/>
        <source>Asks the selected engine for its pools (GET /api/v1/pools) with its token</source>
        <translation>用其令牌向所选引擎查询池（GET /api/v1/pools）</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="153"/>
        <source>Trust certificate…</source>
        <translation>信任证书…</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="155"/>
        <source>Shows the certificate the selected https engine presents; after you compare its fingerprint with the one on the engine&apos;s host, pins it in the address (pin=sha256:…)</source>
        <translation>显示所选 https 引擎出示的证书；在您将其指纹与引擎主机上的指纹核对后，将其固定到地址中（pin=sha256:…）</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="214"/>
        <source>%1 needs no secret here</source>
        <translation>%1 在此不需要密钥</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="217"/>
        <source>%1 of the selected engine: unchanged; stored in the desktop keychain</source>
        <translation>所选引擎的%1：未更改；保存在桌面钥匙串中</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="218"/>
        <source>token</source>
        <translation>令牌</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="220"/>
        <source>no keychain in this build: start with --token-file or %1</source>
        <translation>此版本没有钥匙串：请用 --token-file 或 %1 启动</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="249"/>
        <source>engine name &quot;%1&quot; in row %2 must be unique, not empty, without / or =; e.g. east</source>
        <translation>第 %2 行的引擎名称“%1”必须唯一、非空、不含 / 或 =；例如 east</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="256"/>
        <source>%1 engine &quot;%2&quot;: %3</source>
        <translation>%1 引擎“%2”：%3</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="257"/>
        <source>engine &quot;%1&quot;: %2</source>
        <translation>引擎“%1”：%2</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="290"/>
        <source>No token for %1: type it in the token field (it is stored in the keychain on Save).</source>
        <translation>%1 没有令牌：请在令牌框中输入（保存时存入钥匙串）。</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="295"/>
        <source>Testing %1 at %2…</source>
        <translation>正在测试 %1（%2）…</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="300"/>
        <source>Engine %1 works: %2</source>
        <translation>引擎 %1 可用：%2</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="300"/>
        <source>Engine %1 failed: %2</source>
        <translation>引擎 %1 失败：%2</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="313"/>
        <source>Only an https engine has a certificate to trust.</source>
        <translation>只有 https 引擎才有可信任的证书。</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="324"/>
        <source>Trust this certificate?</source>
        <translation>信任此证书？</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="325"/>
        <source>%1 presents a certificate that no CA this console trusts has signed.</source>
        <translation>%1 出示的证书不是由本控制台信任的任何 CA 签发的。</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="327"/>
        <source>Subject: %1
Issuer: %2
Valid: %3 to %4 (UTC)

SHA-256 fingerprint:
%5

Compare it with the engine&apos;s own, on its host:
openssl x509 -noout -fingerprint -sha256 -in CERT

Trust exactly this certificate? The pin is kept in the engine&apos;s address; a new certificate will have to be trusted again.</source>
        <translation>主体：%1
签发者：%2
有效期：%3 至 %4（UTC）

SHA-256 指纹：
%5

请在引擎主机上与其自身的指纹核对：
openssl x509 -noout -fingerprint -sha256 -in CERT

只信任这一张证书吗？固定值保存在引擎地址中；更换证书后需要重新信任。</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="334"/>
        <source>Trust this certificate</source>
        <translation>信任此证书</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="345"/>
        <source>Pinned %1 for %2; Save keeps it. Test the engine again to check.</source>
        <translation>已为 %2 固定 %1；保存后生效。请再次测试引擎以确认。</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="428"/>
        <source>a lock endpoint password needs an endpoint to belong to; add the endpoint first</source>
        <translation>锁端点密码需要所属的端点；请先添加端点</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="436"/>
        <source>could not store the lock endpoint password in the keychain: %1; is a Secret Service (gnome-keyring, KWallet) running and unlocked?</source>
        <translation>无法将锁端点密码存入钥匙串：%1；Secret Service（gnome-keyring、KWallet）是否正在运行并已解锁？</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="457"/>
        <source>could not store the %1 of engine %2 in the keychain: %3; is a Secret Service (gnome-keyring, KWallet) running and unlocked?</source>
        <translation>无法将引擎 %2 的%1保存到钥匙串：%3；Secret Service（gnome-keyring、KWallet）是否在运行并已解锁？</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="463"/>
        <source>this build has no keychain: the %1 of engine %2 cannot be stored; start with %3</source>
        <translation>此版本没有钥匙串：无法保存引擎 %2 的%1；请用 %3 启动</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::WeightController</name>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="123"/>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="154"/>
        <source>Setting the weight of %1 from %2 to %3</source>
        <translation>将 %1 的权重从 %2 改为 %3</translation>
    </message>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="157"/>
        <source>Changing the weight of %1 from %2 to %3 moves %4 % of the traffic of pool %5 at once. Apply?</source>
        <translation>将 %1 的权重从 %2 改为 %3 会一次性迁移池 %5 中 %4 % 的流量。是否应用？</translation>
    </message>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="179"/>
        <source>%1: %2

Apply anyway?</source>
        <translation>%1：%2

仍要应用吗？</translation>
    </message>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="187"/>
        <source>Setting the weight of %1 to %2</source>
        <translation>将 %1 的权重设为 %2</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::WeightsChartView</name>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="46"/>
        <source>target share</source>
        <translation>目标份额</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="56"/>
        <source>share of requests</source>
        <translation>请求份额</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="221"/>
        <source>actual share</source>
        <translation>实际份额</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="341"/>
        <source>%1: weight %2 → %3, target share %4 %</source>
        <translation>%1：权重 %2 → %3，目标份额 %4 %</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="346"/>
        <source>%1: weight %2, actual %3 %, target %4 % — drag the handle or press ↑/↓</source>
        <translation>%1：权重 %2，实际 %3 %，目标 %4 % — 拖动手柄或按 ↑/↓</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="350"/>
        <source>Pool %1 cannot serve: no server takes traffic, every request gets 503. Select a server and press Ready.</source>
        <translation>池 %1 无法提供服务：没有服务器接收流量，每个请求都返回 503。请选择一台服务器并点击“就绪”。</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="352"/>
        <source>Pool %1: bars = actual share now, handles = target share (weight); drag a handle to reweight</source>
        <translation>池 %1：柱 = 当前实际份额，手柄 = 目标份额（权重）；拖动手柄可调整权重</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="355"/>
        <source>showing the first %1 of %2 servers</source>
        <translation>显示 %2 台服务器中的前 %1 台</translation>
    </message>
</context>
</TS>
