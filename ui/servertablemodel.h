#pragma once

#include "cachedtextdelegate.h"
#include "engine/enginelink.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QHash>

namespace fulcrum::ui {

class WeightController;

// The servers of every pool, one row each, updated in place from snapshots: rows keep
// their place (the proxy sorts), changed figures come as dataChanged, and rows are only
// inserted or removed when servers come or go, so selection and scroll position survive.
class ServerTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    // The figures an operator scans first come first; the address last (in sight at 1024 px
    // wide, the 5xx column is what matters).
    enum Column { Name, Pool, State, Reason, Weight, EffectiveWeight, Active, RequestsPerSecond,
                  Share, P50, P95, P99, ErrorRate, LastCheck, InState, Address, ColumnCount };
    static constexpr int SortRole = Qt::UserRole + 1;   // numbers sort as numbers
    static constexpr int KeyRole = Qt::UserRole + 2;    // "pool/server"

    explicit ServerTableModel(QObject *parent = nullptr);

    // Typing a weight goes through the controller (confirmation, undo), never straight out.
    void setWeightController(WeightController *controller) { m_controller = controller; }

    void updateFromSnapshot(const LinkSnapshot &snapshot);
    const ServerStatus *serverAt(int row) const;
    int rowOf(const QString &key) const { return m_rows.value(key, -1); }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

private:
    static quint32 changedColumnsOf(const ServerStatus &before, const QDateTime &nowBefore,
                                    const ServerStatus &after, const QDateTime &nowAfter);
    QVariant display(const ServerStatus &server, int column) const;
    QVariant sortValue(const ServerStatus &server, int column) const;

    QList<ServerStatus> m_servers;
    QHash<QString, int> m_rows;       // key → row
    QDateTime m_now;
    // Whether the engine reports this figure (the column stays blank when not).
    bool reports(bool EngineCapabilities::*figure) const;

    WeightController *m_controller = nullptr;
};

QString durationText(qint64 seconds);
// What the table sorts names, pools and addresses by: numbers by value (app2 before app10,
// 10.0.0.9 before 10.0.0.10), letters without case.
QString naturalSortKey(const QString &text);

// The Servers table's delegate: cached text, and for the Weight column an editor that takes
// only the engine's range (0–10 000, HAProxy 0–256, httpd 1–100) and says it, like the Set
// weight dialog, instead of a free number the model then drops.
class ServerTableDelegate : public CachedTextDelegate
{
public:
    ServerTableDelegate(WeightController *controller, QObject *parent) : CachedTextDelegate(parent), m_controller(controller) {}
    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &option, const QModelIndex &index) const override;

protected:
    // The server's colour swatch is the same colour in a selected row: Qt tints a selected
    // icon with the highlight (app1's yellow read olive), and the swatch is what ties the row
    // to its line in the charts.
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;

private:
    WeightController *m_controller;
};

// The tint of a server's whole row by its state, HAProxy-style (down red, drain amber,
// maintenance blue-grey, ejected violet); translucent, so it reads on light and dark palettes.
// Invalid for a server that is up.
QColor stateTint(const ServerStatus &server);

} // namespace fulcrum::ui
