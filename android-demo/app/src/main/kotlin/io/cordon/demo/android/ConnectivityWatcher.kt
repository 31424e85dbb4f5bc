package io.cordon.demo.android

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import io.cordon.demo.SyncController

/**
 * Tells the core when the device gains or loses a validated internet connection: when it
 * returns, everything waiting (a duress alarm above all) is due at once and a pass starts.
 * Android calls back on every change of the network's capabilities (signal strength
 * among them): [SyncController.setOnline] acts only on a change from offline to online or
 * back, and never throws into this callback.
 */
class ConnectivityWatcher(context: Context, private val sync: SyncController) {
    private val connectivity = context.getSystemService(ConnectivityManager::class.java)

    fun start() {
        sync.setOnline(isOnline(connectivity.getNetworkCapabilities(connectivity.activeNetwork)))
        connectivity.registerDefaultNetworkCallback(object : ConnectivityManager.NetworkCallback() {
            override fun onCapabilitiesChanged(network: Network, capabilities: NetworkCapabilities) {
                sync.setOnline(isOnline(capabilities))
            }

            override fun onLost(network: Network) {
                sync.setOnline(false)
            }
        })
    }

    private fun isOnline(capabilities: NetworkCapabilities?): Boolean =
        capabilities != null &&
            capabilities.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET) &&
            capabilities.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED)
}
