<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>InProcessEngineLink</name>
    <message>
        <location filename="../../core/engine/inprocessenginelink.cpp" line="374"/>
        <source>in-process engine (simulated traffic)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../core/engine/inprocessenginelink.cpp" line="414"/>
        <source>no Redis endpoint &quot;%1&quot; in this engine; add it under Settings → Redis</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="11"/>
        <source>health</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="12"/>
        <source>ejection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="13"/>
        <source>panic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="14"/>
        <source>operator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="15"/>
        <source>lock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="16"/>
        <source>connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="16"/>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="18"/>
        <source>%1 min %2 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="19"/>
        <source>%1 h %2 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="28"/>
        <source>weight of %1: %2 → %3</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::EventModel</name>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="66"/>
        <source>%1: %2 → %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="80"/>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="81"/>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="82"/>
        <source>Who</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="83"/>
        <source>Target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="84"/>
        <source>Change</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/eventmodel.cpp" line="85"/>
        <source>Detail</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::ForceReleaseDialog</name>
    <message>
        <location filename="../../ui/locksview.cpp" line="26"/>
        <source>Force-release a lock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="29"/>
        <source>The holder may still be working under this lock. Releasing it lets another client in at once. Only the holder shown below is released: if the lock changes hands before you confirm, nothing is deleted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="41"/>
        <source>Endpoint:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="42"/>
        <source>Key:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="43"/>
        <source>Holder:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="44"/>
        <source>Held for:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="44"/>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="46"/>
        <source>TTL:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="46"/>
        <source>no expiry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="46"/>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="50"/>
        <source>type the key to confirm</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="51"/>
        <source>This lock never expires. Type its key:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="60"/>
        <source>Force-release</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="73"/>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="88"/>
        <source>Asking the engine…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="89"/>
        <source>Released: the lock was deleted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="90"/>
        <source>Not released: nothing was deleted.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::LiveLoadView</name>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="69"/>
        <source>Requests per second</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="69"/>
        <source>p95 latency (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="69"/>
        <source>Errors (5xx %)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/liveloadview.cpp" line="142"/>
        <source>%1 → %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::LockModel</name>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="103"/>
        <location filename="../../ui/lockmodel.cpp" line="108"/>
        <source>no expiry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="103"/>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="110"/>
        <source>long-held</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="112"/>
        <source>churning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="140"/>
        <source>Key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="141"/>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="142"/>
        <source>Holder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="143"/>
        <source>TTL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="144"/>
        <source>Held for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/lockmodel.cpp" line="145"/>
        <source>Flags</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::LocksView</name>
    <message>
        <location filename="../../ui/locksview.cpp" line="121"/>
        <source>Filter locks by key, holder or kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="128"/>
        <source>Redis:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="151"/>
        <source>Force-release…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="170"/>
        <source>No Redis endpoint configured: add one under Settings → Redis.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="187"/>
        <source>%1 keys scanned</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/locksview.cpp" line="190"/>
        <source>Last scan failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/locksview.cpp" line="192"/>
        <source>%n lock(s), %1 keys scanned</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::MainWindow</name>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="35"/>
        <source>Fulcrum — %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="39"/>
        <source>Move this much traffic?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="47"/>
        <source>waiting for the first snapshot</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="52"/>
        <source>Redis: none configured</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="52"/>
        <source>Redis: connecting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="76"/>
        <source>&amp;Live load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="79"/>
        <source>&amp;Weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="85"/>
        <source>Filter servers by name, pool, state or reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="109"/>
        <source>&amp;Servers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="134"/>
        <source>L&amp;ocks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="140"/>
        <source>Filter events by server, kind, who or text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="156"/>
        <source>&amp;Events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="169"/>
        <location filename="../../ui/mainwindow.cpp" line="270"/>
        <source>%1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="174"/>
        <source>&amp;Drain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="175"/>
        <source>Drain: no new requests, running ones finish, checks go on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="176"/>
        <source>&amp;Maintenance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="177"/>
        <source>Maintenance: no traffic and no health checks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="178"/>
        <source>&amp;Ready</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="179"/>
        <source>Ready: back into rotation (health checks decide up or down)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="180"/>
        <source>Set &amp;weight…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="181"/>
        <source>Set the weight of the selected server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="182"/>
        <source>&amp;Undo weight change</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="184"/>
        <source>&amp;Redo weight change</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="186"/>
        <source>&amp;Settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="186"/>
        <source>Engine, Redis endpoints, language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="189"/>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="189"/>
        <source>Close the console (a remote engine keeps running)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="191"/>
        <source>&amp;Find</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="191"/>
        <source>Filter the current view</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="205"/>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="209"/>
        <source>&amp;Edit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="214"/>
        <source>Se&amp;rver</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="217"/>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="218"/>
        <source>Live load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="218"/>
        <source>Weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="218"/>
        <source>Servers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="218"/>
        <source>Locks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="218"/>
        <source>Events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="220"/>
        <source>Show the %1 view</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="224"/>
        <source>Server actions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="245"/>
        <source>last refresh %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="259"/>
        <source>%1 failed: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="266"/>
        <source>Engine: connected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="267"/>
        <source>Engine: connecting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="268"/>
        <source>Engine: disconnected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="278"/>
        <source>%1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="279"/>
        <source>Redis: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="303"/>
        <source>Setting %1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="314"/>
        <source>Set weight</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="314"/>
        <source>Weight of %1 (0–%2; 0 = no new traffic):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="342"/>
        <source>Settings saved. Engine and Redis changes apply at the next start; language too.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="378"/>
        <source>cannot create screenshot directory %1; check the path and permissions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/mainwindow.cpp" line="390"/>
        <source>cannot write %1; check the directory is writable</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::ServerTableModel</name>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="101"/>
        <location filename="../../ui/servertablemodel.cpp" line="105"/>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="102"/>
        <location filename="../../ui/servertablemodel.cpp" line="103"/>
        <location filename="../../ui/servertablemodel.cpp" line="104"/>
        <source>%1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="106"/>
        <source>%1 s ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="106"/>
        <source>never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="160"/>
        <source>Type a new weight (0–%1) to change it; Ctrl+Z undoes it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="173"/>
        <source>Server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="174"/>
        <source>Pool</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="175"/>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="176"/>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="177"/>
        <source>Weight</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="178"/>
        <source>Effective</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="179"/>
        <source>Active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="180"/>
        <source>Req/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="181"/>
        <source>Share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="182"/>
        <source>p50</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="183"/>
        <source>p95</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="184"/>
        <source>p99</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="185"/>
        <source>5xx</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="186"/>
        <source>Last check</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/servertablemodel.cpp" line="187"/>
        <source>In state</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::SettingsDialog</name>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="23"/>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="27"/>
        <source>empty: the in-process engine; or host:port of a fulcrumd admin API</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="28"/>
        <source>&amp;Engine address:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="30"/>
        <source>one per line: 127.0.0.1:6379</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="32"/>
        <source>&amp;Redis endpoints:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="34"/>
        <source>Lock key &amp;patterns:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="39"/>
        <source>unchanged; stored in the desktop keychain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="42"/>
        <source>this build has no keychain support (qtkeychain-qt6-dev)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="44"/>
        <source>Redis pass&amp;word:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="47"/>
        <source> % of traffic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="49"/>
        <source>Ask before moving more than:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="51"/>
        <source>System language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="55"/>
        <source>&amp;Language:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="101"/>
        <source>Redis endpoint &quot;%1&quot; is not host:port; write it like 127.0.0.1:6379</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="111"/>
        <source>a Redis password needs an endpoint to belong to; add the endpoint first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/settingsdialog.cpp" line="119"/>
        <source>could not store the Redis password in the keychain: %1; is a Secret Service (gnome-keyring, KWallet) running and unlocked?</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::WeightController</name>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="97"/>
        <source>%1 failed: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="126"/>
        <source>Changing the weight of %1 from %2 to %3 moves %4 % of the traffic of pool %5 at once. Apply?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/weightcontroller.cpp" line="143"/>
        <source>Setting the weight of %1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>fulcrum::ui::WeightsChartView</name>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="39"/>
        <source>target share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="54"/>
        <source>share of requests</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="188"/>
        <source>%1: weight %2 → %3, target share %4 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="193"/>
        <source>%1: weight %2, actual %3 %, target %4 % — drag the handle or press ↑/↓</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="197"/>
        <source>Pool %1: bars = actual share now, handles = target share (weight); drag a handle to reweight</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/weightschartview.cpp" line="200"/>
        <source>showing the first %1 of %2 servers</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
