package io.cordon.demo.android

import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.CheckCircle
import androidx.compose.material.icons.filled.Email
import androidx.compose.material.icons.filled.List
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material.icons.filled.Warning
import androidx.compose.ui.graphics.vector.ImageVector

/** Icons from material-icons-core (no extended set for five tabs). */
internal val Tab.icon: ImageVector
    get() = when (this) {
        Tab.ASSIGNMENTS -> Icons.Filled.List
        Tab.CHECK_IN -> Icons.Filled.CheckCircle
        Tab.INCIDENT -> Icons.Filled.Warning
        Tab.CONTROL_ROOM -> Icons.Filled.Email
        Tab.SYNC -> Icons.Filled.Refresh
    }
