<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>QObject</name>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="11" />
        <source>health</source>
        <translation>健康</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="12" />
        <source>ejection</source>
        <translation>剔除</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="13" />
        <source>panic</source>
        <translation>恐慌模式</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="14" />
        <source>operator</source>
        <translation>操作员</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="15" />
        <source>lock</source>
        <translation>锁</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="16" />
        <source>connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="16" />
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="18" />
        <source>%1 min %2 s</source>
        <translation>%1 分 %2 秒</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="19" />
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分</translation>
    </message>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="28" />
        <source>weight of %1: %2 → %3</source>
        <translation>%1 的权重：%2 → %3</translation>
    </message>
</context>
<context>
    <name>fulcrum::EngineLink</name>
    <message>
        <location filename="../../core/engine/enginelink.cpp" line="35" />
        <source>Reports are not available for this engine.</source>
        <translation>此引擎不提供报告。</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::ExportReportDialog</name>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="38" />
        <source>Export report</source>
        <translation>导出报告</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="41" />
        <source>Last 15 minutes</source>
        <translation>最近 15 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="41" />
        <source>Last hour</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="41" />
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="41" />
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="41" />
        <source>Custom (from – to)</source>
        <translation>自定义（从 – 到）</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="52" />
        <source>PDF (A4, charts)</source>
        <translation>PDF（A4，含图表）</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="53" />
        <source>HTML (one file, opens offline)</source>
        <translation>HTML（单个文件，可离线打开）</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="54" />
        <source>CSV (one file per section)</source>
        <translation>CSV（每个部分一个文件）</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="55" />
        <source>JSON</source>
        <translation>JSON</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="60" />
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="65" />
        <source>CSV writes one file per section next to this name: NAME-servers.csv, NAME-pools.csv, …</source>
        <translation>CSV 会在此文件名旁为每个部分各写一个文件：NAME-servers.csv、NAME-pools.csv、…</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="69" />
        <source>&amp;Window:</source>
        <translation>时间范围(&amp;W)：</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="70" />
        <source>&amp;From:</source>
        <translation>从(&amp;F)：</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="71" />
        <source>&amp;To:</source>
        <translation>到(&amp;T)：</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="72" />
        <source>F&amp;ormat:</source>
        <translation>格式(&amp;O)：</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="73" />
        <source>F&amp;ile:</source>
        <translation>文件(&amp;I)：</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="83" />
        <source>&amp;Export</source>
        <translation>导出(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="131" />
        <source>There is no engine to build the report.</source>
        <translation>没有可生成报告的引擎。</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="136" />
        <source>The window is empty: “To” must be after “From”.</source>
        <translation>时间范围为空：“到”必须晚于“从”。</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="141" />
        <source>Choose the file to write the report to.</source>
        <translation>请选择报告要写入的文件。</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="145" />
        <source>The folder %1 does not exist; choose another file.</source>
        <translation>文件夹 %1 不存在；请选择其他文件。</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="148" />
        <source>Building the report…</source>
        <translation>正在生成报告…</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="168" />
        <source>Report written: %1</source>
        <translation>报告已写入：%1</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="171" />
        <source>Export cancelled.</source>
        <translation>导出已取消。</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="174" />
        <source>The report was not written: %1</source>
        <translation>报告未写入：%1</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="185" />
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="195" />
        <source>Export report to</source>
        <translation>导出报告到</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="185" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/exportreportdialog.cpp" line="223" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>fulcrum::InProcessEngineLink</name>
    <message>
        <location filename="../../core/engine/inprocessenginelink.cpp" line="486" />
        <source>in-process engine (demo)</source>
        <translation>进程内引擎（演示）</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::EventModel</name>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="66" />
        <source>%1: %2 → %3</source>
        <translation>%1：%2 → %3</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="80" />
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="81" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="82" />
        <source>Who</source>
        <translation>操作者</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="83" />
        <source>Target</source>
        <translation>对象</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="84" />
        <source>Change</source>
        <translation>变更</translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="85" />
        <source>Detail</source>
        <translation>详情</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::ForceReleaseDialog</name>
    <message>
        <location filename="../../ui/locksview.cpp" line="26" />
        <source>Force-release a lock</source>
        <translation>强制释放锁</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="29" />
        <source>The holder may still be working under this lock. Releasing it lets another client in at once. Only the holder shown below is released: if the lock changes hands before you confirm, nothing is deleted.</source>
        <translation>持有者可能仍在该锁保护下工作。释放后其他客户端会立即进入。只会释放下面显示的持有者：如果在您确认前锁已易主，则不会删除任何内容。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="41" />
        <source>Endpoint:</source>
        <translation>端点：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="42" />
        <source>Key:</source>
        <translation>键：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="43" />
        <source>Holder:</source>
        <translation>持有者：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="44" />
        <source>Held for:</source>
        <translation>已持有：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="44" />
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="46" />
        <source>TTL:</source>
        <translation>TTL：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="46" />
        <source>no expiry</source>
        <translation>永不过期</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="46" />
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="50" />
        <source>type the key to confirm</source>
        <translation>输入键名以确认</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="51" />
        <source>This lock never expires. Type its key:</source>
        <translation>此锁永不过期。请输入其键名：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="60" />
        <source>Force-release</source>
        <translation>强制释放</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="73" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="88" />
        <source>Asking the engine…</source>
        <translation>正在询问引擎…</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="89" />
        <source>Released: the lock was deleted.</source>
        <translation>已释放：锁已删除。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="90" />
        <source>Not released: nothing was deleted.</source>
        <translation>未释放：没有删除任何内容。</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::LiveLoadView</name>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="69" />
        <source>Requests per second</source>
        <translation>每秒请求数</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="69" />
        <source>p95 latency (ms)</source>
        <translation>p95 延迟（毫秒）</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="69" />
        <source>Errors (5xx %)</source>
        <translation>错误率（5xx %）</translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="171" />
        <source>%1 → %2</source>
        <translation>%1 → %2</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::LockModel</name>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="103" />
        <location filename="../../ui/lockmodel.cpp" line="108" />
        <source>no expiry</source>
        <translation>永不过期</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="103" />
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="110" />
        <source>long-held</source>
        <translation>长时间持有</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="112" />
        <source>churning</source>
        <translation>频繁易主</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="140" />
        <source>Key</source>
        <translation>键</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="141" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="142" />
        <source>Holder</source>
        <translation>持有者</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="143" />
        <source>TTL</source>
        <translation>TTL</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="144" />
        <source>Held for</source>
        <translation>已持有</translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="145" />
        <source>Flags</source>
        <translation>标记</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::LocksView</name>
    <message>
        <location filename="../../ui/locksview.cpp" line="121" />
        <source>Filter locks by key, holder or kind</source>
        <translation>按键、持有者或类型筛选锁</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="128" />
        <source>Redis:</source>
        <translation>Redis：</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="152" />
        <source>Force-release…</source>
        <translation>强制释放…</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="171" />
        <source>No Redis endpoint configured: add one under Settings → Redis.</source>
        <translation>未配置 Redis 端点：请在 设置 → Redis 中添加。</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="192" />
        <source>%1 keys scanned</source>
        <translation>已扫描 %1 个键</translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="195" />
        <source>Last scan failed: %1</source>
        <translation>上次扫描失败：%1</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="197" />
        <source>%n lock(s), %1 keys scanned</source>
        <translation><numerusform>%n 个锁，已扫描 %1 个键</numerusform></translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::MainWindow</name>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="220" />
        <source>&amp;Export report…</source>
        <translation>导出报告(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="220" />
        <source>Health report for a window of the engine&apos;s history: PDF, HTML, CSV or JSON</source>
        <translation>引擎历史中某一时间范围的健康报告：PDF、HTML、CSV 或 JSON</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="38" />
        <source>Fulcrum — %1</source>
        <translation>Fulcrum — %1</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="42" />
        <source>Move this much traffic?</source>
        <translation>要迁移这么多流量吗？</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="50" />
        <source>waiting for the first snapshot</source>
        <translation>正在等待第一个快照</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="55" />
        <source>Redis: none configured</source>
        <translation>Redis：未配置</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="55" />
        <source>Redis: connecting</source>
        <translation>Redis：正在连接</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="79" />
        <source>&amp;Live load</source>
        <translation>实时负载(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="89" />
        <source>&amp;Pool:</source>
        <translation>池(&amp;P)：</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="97" />
        <source>&amp;Weights</source>
        <translation>权重(&amp;W)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="113" />
        <source>Filter servers by name, pool, state or reason</source>
        <translation>按名称、池、状态或原因筛选服务器</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="138" />
        <source>&amp;Servers</source>
        <translation>服务器(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="163" />
        <source>L&amp;ocks</source>
        <translation>锁(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="169" />
        <source>Filter events by server, kind, who or text</source>
        <translation>按服务器、类型、操作者或文本筛选事件</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="186" />
        <source>&amp;Events</source>
        <translation>事件(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="199" />
        <location filename="../../ui/mainwindow.cpp" line="308" />
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="204" />
        <source>&amp;Drain</source>
        <translation>排空(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="205" />
        <source>Drain: no new requests, running ones finish, checks go on</source>
        <translation>排空：不再分配新请求，进行中的请求继续完成，健康检查照常进行</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="206" />
        <source>&amp;Maintenance</source>
        <translation>维护(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="207" />
        <source>Maintenance: no traffic and no health checks</source>
        <translation>维护：无流量，也不做健康检查</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="208" />
        <source>&amp;Ready</source>
        <translation>就绪(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="209" />
        <source>Ready: back into rotation (health checks decide up or down)</source>
        <translation>就绪：重新加入轮转（由健康检查决定上线或下线）</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="210" />
        <source>Set &amp;weight…</source>
        <translation>设置权重(&amp;W)…</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="211" />
        <source>Set the weight of the selected server</source>
        <translation>设置所选服务器的权重</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="212" />
        <source>&amp;Undo weight change</source>
        <translation>撤销权重修改(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="214" />
        <source>&amp;Redo weight change</source>
        <translation>重做权重修改(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="216" />
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="216" />
        <source>Engine, Redis endpoints, language</source>
        <translation>引擎、Redis 端点、语言</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="219" />
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="219" />
        <source>Close the console (a remote engine keeps running)</source>
        <translation>关闭控制台（远程引擎继续运行）</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="221" />
        <source>&amp;Find</source>
        <translation>查找(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="221" />
        <source>Filter the current view</source>
        <translation>筛选当前视图</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="235" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="239" />
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="244" />
        <source>Se&amp;rver</source>
        <translation>服务器(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="247" />
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="248" />
        <source>Live load</source>
        <translation>实时负载</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="248" />
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="248" />
        <source>Servers</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="248" />
        <source>Locks</source>
        <translation>锁</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="248" />
        <source>Events</source>
        <translation>事件</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="250" />
        <source>Show the %1 view</source>
        <translation>显示“%1”视图</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="254" />
        <source>Server actions</source>
        <translation>服务器操作</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="279" />
        <source>last refresh %1</source>
        <translation>最后刷新 %1</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="297" />
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="304" />
        <source>Engine: connected</source>
        <translation>引擎：已连接</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="305" />
        <source>Engine: connecting</source>
        <translation>引擎：正在连接</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="306" />
        <source>Engine: disconnected</source>
        <translation>引擎：已断开</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="316" />
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="317" />
        <source>Redis: %1</source>
        <translation>Redis：%1</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="345" />
        <source>Setting %1 to %2</source>
        <translation>将 %1 设为 %2</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="356" />
        <source>Set weight</source>
        <translation>设置权重</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="356" />
        <source>Weight of %1 (0–%2; 0 = no new traffic):</source>
        <translation>%1 的权重（0–%2；0 = 不接收新流量）：</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="384" />
        <source>Settings saved. Engine and Redis changes apply at the next start; language too.</source>
        <translation>设置已保存。引擎、Redis 和语言的修改在下次启动时生效。</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="422" />
        <source>cannot create screenshot directory %1; check the path and permissions</source>
        <translation>无法创建截图目录 %1；请检查路径和权限</translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="440" />
        <source>cannot write %1; check the directory is writable</source>
        <translation>无法写入 %1；请检查目录是否可写</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::ServerTableModel</name>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="101" />
        <location filename="../../ui/servertablemodel.cpp" line="105" />
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="102" />
        <location filename="../../ui/servertablemodel.cpp" line="103" />
        <location filename="../../ui/servertablemodel.cpp" line="104" />
        <source>%1 ms</source>
        <translation>%1 毫秒</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="106" />
        <source>%1 s ago</source>
        <translation>%1 秒前</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="106" />
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="160" />
        <source>Type a new weight (0–%1) to change it; Ctrl+Z undoes it</source>
        <translation>输入新权重（0–%1）即可修改；Ctrl+Z 撤销</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="173" />
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="174" />
        <source>Pool</source>
        <translation>池</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="175" />
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="176" />
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="177" />
        <source>Weight</source>
        <translation>权重</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="178" />
        <source>Effective</source>
        <translation>生效权重</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="179" />
        <source>Active</source>
        <translation>活动连接</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="180" />
        <source>Req/s</source>
        <translation>请求/秒</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="181" />
        <source>Share</source>
        <translation>份额</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="182" />
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="183" />
        <source>p95</source>
        <translation>p95</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="184" />
        <source>p99</source>
        <translation>p99</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="185" />
        <source>5xx</source>
        <translation>5xx</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="186" />
        <source>Last check</source>
        <translation>上次检查</translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="187" />
        <source>In state</source>
        <translation>持续时间</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::SettingsDialog</name>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="26" />
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="33" />
        <source>one per line: 127.0.0.1:6379</source>
        <translation>每行一个：127.0.0.1:6379</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="35" />
        <source>&amp;Redis endpoints:</source>
        <translation>Redis 端点(&amp;R)：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="37" />
        <source>Lock key &amp;patterns:</source>
        <translation>锁键模式(&amp;P)：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="42" />
        <source>unchanged; stored in the desktop keychain</source>
        <translation>未修改；保存在桌面密钥环中</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="45" />
        <source>this build has no keychain support (qtkeychain-qt6-dev)</source>
        <translation>此版本不支持密钥环（qtkeychain-qt6-dev）</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="47" />
        <source>Redis pass&amp;word:</source>
        <translation>Redis 密码(&amp;W)：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="48" />
        <source>&amp;Test connection</source>
        <translation>测试连接(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="51" />
        <source>The engine connects to the first Redis endpoint above and sends PING</source>
        <translation>由引擎连接上面第一个 Redis 端点并发送 PING</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="56" />
        <source> % of traffic</source>
        <translation> % 的流量</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="58" />
        <source>Ask before moving more than:</source>
        <translation>迁移流量超过此值时先确认：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="60" />
        <source>System language</source>
        <translation>系统语言</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="64" />
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="76" />
        <source>Connection works: %1</source>
        <translation>连接正常：%1</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="76" />
        <source>Connection failed: %1</source>
        <translation>连接失败：%1</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="124" />
        <source>Redis endpoint "%1" is not host:port; write it like 127.0.0.1:6379</source>
        <translation>Redis 端点“%1”不是 主机:端口 格式；请写成 127.0.0.1:6379 这样</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="137" />
        <source>Add a Redis endpoint (host:port) to test.</source>
        <translation>请先添加要测试的 Redis 端点（主机:端口）。</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="151" />
        <source>Testing %1…</source>
        <translation>正在测试 %1…</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="164" />
        <source>a Redis password needs an endpoint to belong to; add the endpoint first</source>
        <translation>Redis 密码需要对应的端点；请先添加端点</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="172" />
        <source>could not store the Redis password in the keychain: %1; is a Secret Service (gnome-keyring, KWallet) running and unlocked?</source>
        <translation>无法将 Redis 密码保存到密钥环：%1；Secret Service（gnome-keyring、KWallet）是否在运行并已解锁？</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="33" />
        <source>&amp;Engines:</source>
        <translation>引擎(&amp;E)：</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="94" />
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="94" />
        <source>Admin URL</source>
        <translation>管理 URL</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="100" />
        <source>fulcrumd instances the console attaches to when started without --demo; none: the in-process demo engine</source>
        <translation>不带 --demo 启动时控制台连接的 fulcrumd 实例；为空：使用进程内演示引擎</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="106" />
        <source>&amp;Add</source>
        <translation>添加(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="107" />
        <source>Re&amp;move</source>
        <translation>移除(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="112" />
        <source>token of the selected engine: unchanged; stored in the desktop keychain</source>
        <translation>所选引擎的令牌：不变；保存在桌面钥匙串中</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="114" />
        <source>no keychain in this build: start with --token-file or FULCRUM_TOKEN</source>
        <translation>此版本不支持钥匙串：请使用 --token-file 或 FULCRUM_TOKEN 启动</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="116" />
        <source>Test e&amp;ngine</source>
        <translation>测试引擎(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="118" />
        <source>Asks the selected engine for its pools (GET /api/v1/pools) with its token</source>
        <translation>用其令牌向所选引擎查询池（GET /api/v1/pools）</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="175" />
        <source>engine name "%1" in row %2 must be unique, not empty, without / or =; e.g. east</source>
        <translation>第 %2 行的引擎名称“%1”必须唯一、非空、不含 / 或 =；例如 east</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="181" />
        <source>engine "%1": %2</source>
        <translation>引擎“%1”：%2</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="195" />
        <source>Add an engine (name and admin URL) to test.</source>
        <translation>请先添加一个引擎（名称和管理 URL）再测试。</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="213" />
        <source>No token for %1: type it in the token field (it is stored in the keychain on Save).</source>
        <translation>%1 没有令牌：请在令牌框中输入（保存时存入钥匙串）。</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="218" />
        <source>Testing %1 at %2…</source>
        <translation>正在测试 %1（%2）…</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="223" />
        <source>Engine %1 works: %2</source>
        <translation>引擎 %1 可用：%2</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="223" />
        <source>Engine %1 failed: %2</source>
        <translation>引擎 %1 失败：%2</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="332" />
        <source>could not store the token of engine %1 in the keychain: %2; is a Secret Service (gnome-keyring, KWallet) running and unlocked?</source>
        <translation>无法将引擎 %1 的令牌存入钥匙串：%2；Secret Service（gnome-keyring、KWallet）是否在运行并已解锁？</translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="337" />
        <source>this build has no keychain: the token of engine %1 cannot be stored; start with --token-file or FULCRUM_TOKEN</source>
        <translation>此版本不支持钥匙串：无法保存引擎 %1 的令牌；请使用 --token-file 或 FULCRUM_TOKEN 启动</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::WeightController</name>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="97" />
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="126" />
        <source>Changing the weight of %1 from %2 to %3 moves %4 % of the traffic of pool %5 at once. Apply?</source>
        <translation>将 %1 的权重从 %2 改为 %3 会一次性迁移池 %5 中 %4 % 的流量。是否应用？</translation>
    </message>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="143" />
        <source>Setting the weight of %1 to %2</source>
        <translation>将 %1 的权重设为 %2</translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::WeightsChartView</name>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="40" />
        <source>target share</source>
        <translation>目标份额</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="58" />
        <source>share of requests</source>
        <translation>请求份额</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="193" />
        <source>actual share</source>
        <translation>实际份额</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="248" />
        <source>%1: weight %2 → %3, target share %4 %</source>
        <translation>%1：权重 %2 → %3，目标份额 %4 %</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="253" />
        <source>%1: weight %2, actual %3 %, target %4 % — drag the handle or press ↑/↓</source>
        <translation>%1：权重 %2，实际 %3 %，目标 %4 % — 拖动手柄或按 ↑/↓</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="257" />
        <source>Pool %1: bars = actual share now, handles = target share (weight); drag a handle to reweight</source>
        <translation>池 %1：柱 = 当前实际份额，手柄 = 目标份额（权重）；拖动手柄可调整权重</translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="260" />
        <source>showing the first %1 of %2 servers</source>
        <translation>显示 %2 台服务器中的前 %1 台</translation>
    </message>
</context>
<context>
    <name>fulcrum::MultiEngineLink</name>
    <message numerus="yes">
        <location filename="../../core/engine/multienginelink.cpp" line="123" />
        <source>%n engine(s): %1</source>
        <translation><numerusform>%n 个引擎：%1</numerusform></translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="168" />
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="169" />
        <source>%1: %2, %3</source>
        <translation>%1：%2，%3</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="207" />
        <location filename="../../core/engine/multienginelink.cpp" line="217" />
        <source>pool "%1" names no engine (engines: %2); refresh the view</source>
        <translation>池“%1”不属于任何引擎（引擎：%2）；请刷新视图</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="225" />
        <source>no engine to test %1:%2 from</source>
        <translation>没有可用于测试 %1:%2 的引擎</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="238" />
        <source>Redis endpoint "%1" names no engine (engines: %2); nothing deleted</source>
        <translation>Redis 端点“%1”不属于任何引擎（引擎：%2）；未删除任何内容</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="245" />
        <source>a report covers one engine's history: start the console with that one --engine, or run fulcrumctl report --engine URL (engines: %1)</source>
        <translation>报告只涵盖一个引擎的历史：请只用该引擎的 --engine 启动控制台，或运行 fulcrumctl report --engine URL（引擎：%1）</translation>
    </message>
    <message>
        <location filename="../../core/engine/multienginelink.cpp" line="261" />
        <source>Weights here stop at %1 for every engine.</source>
        <translation>此处所有引擎的权重上限均为 %1。</translation>
    </message>
</context>
<context>
    <name>fulcrum::RemoteEngineLink</name>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="270" />
        <source>fulcrumd %1 at %2</source>
        <translation>fulcrumd %1（%2）</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="286" />
        <source>connecting to %1</source>
        <translation>正在连接 %1</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="338" />
        <source>%1 sent a stream message over 64 MiB; is this URL a fulcrumd admin API?</source>
        <translation>%1 发送了超过 64 MiB 的流消息；这个 URL 是 fulcrumd 的管理 API 吗？</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="340" />
        <source>no data from %1 for %2 s; reconnecting</source>
        <translation>%2 秒内未收到 %1 的数据；正在重新连接</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="342" />
        <source>%1 closed the stream (engine stopping or restarting?)</source>
        <translation>%1 关闭了数据流（引擎正在停止或重启？）</translation>
    </message>
    <message>
        <location filename="../../core/engine/remoteenginelink.cpp" line="365" />
        <source>%1; retrying in %2 s</source>
        <translation>%1；%2 秒后重试</translation>
    </message>
</context>
</TS>