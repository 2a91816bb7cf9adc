#pragma once

#include "lockmodel.h"
#include "locksview.h"

#include <QAbstractItemModel>
#include <QTableView>

// The row the Locks view shows `key` on (as sorted and filtered on screen), or -1.
inline int rowOf(fulcrum::ui::LocksView *view, const QString &key)
{
    const QAbstractItemModel *model = view->table()->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->index(row, fulcrum::ui::LockModel::Key).data().toString() == key)
            return row;
    }
    return -1;
}
