#!/bin/bash
# plugin.sh - devstack plugin of nova-zvm-virt-driver
#
# Sourced by stack.sh, unstack.sh and clean.sh as
#   plugin.sh stack pre-install|install|post-config|extra|test-config
#   plugin.sh unstack
#   plugin.sh clean
# with devstack's functions and this plugin's settings loaded.
# devstack/README.rst describes the phases and the variables.

# Save trace setting
_XTRACE_NOVA_ZVM=$(set +o | grep xtrace)
set -o xtrace

NOVA_ZVM_SIM_SERVICE=zvm-simulator

# The directory of the Python environment nova is installed in.
function nova_zvm_bin_dir {
    get_python_exec_prefix
}

# The Python of that environment: it sees nova and this package.
function nova_zvm_python {
    local bin_dir
    bin_dir=$(nova_zvm_bin_dir)
    if [[ -x "$bin_dir/python3" ]]; then
        echo "$bin_dir/python3"
    else
        echo python3
    fi
}

function nova_zvm_helper {
    "$(nova_zvm_python)" "$NOVA_ZVM_DIR/devstack/tools/zvm_devstack.py" "$@"
}

# Stop early on settings that cannot work.
function nova_zvm_check_settings {
    if ! is_service_enabled n-cpu; then
        return 0
    fi
    if [[ -z "$ZVM_CLOUD_CONNECTOR_URL" ]]; then
        die $LINENO "Set ZVM_CLOUD_CONNECTOR_URL to the z/VM Cloud" \
            "Connector's URL, or ZVM_SIMULATOR=True to use the simulator"
    fi
}

# After the install: the driver's own check of the name template.
function nova_zvm_check_name_template {
    local reason
    if ! reason=$(nova_zvm_helper check-template \
            "$ZVM_INSTANCE_NAME_TEMPLATE"); then
        die $LINENO "ZVM_INSTANCE_NAME_TEMPLATE: $reason"
    fi
}

# A real install, not setup_develop: Nova imports drivers only from
# nova.virt.<compute_driver>, and the nova/virt/zvm_ext shim inside Nova's
# package exists only when the wheel is installed. An editable install
# (pip install -e) leaves nova.virt.zvm_ext unimportable.
function install_nova_zvm {
    pip_install "$NOVA_ZVM_DIR"
}

function start_nova_zvm_simulator {
    local cmd
    mkdir -p "$ZVM_SIMULATOR_STATE_DIR"
    cmd="$(nova_zvm_bin_dir)/nova-zvm-simulator"
    cmd+=" --host $ZVM_SIMULATOR_HOST --port $ZVM_SIMULATOR_PORT"
    cmd+=" --state-dir $ZVM_SIMULATOR_STATE_DIR"
    cmd+=" --zvm-host $ZVM_SIMULATOR_ZVM_HOST"
    if [[ -n "${ZVM_DISK_POOL:-}" ]]; then
        cmd+=" --disk-pool $ZVM_DISK_POOL"
    fi
    if [[ -n "$ZVM_SIMULATOR_ARGS" ]]; then
        cmd+=" $ZVM_SIMULATOR_ARGS"
    fi
    run_process "$NOVA_ZVM_SIM_SERVICE" "$cmd"
}

function stop_nova_zvm_simulator {
    stop_process "$NOVA_ZVM_SIM_SERVICE"
}

function configure_nova_zvm {
    local conf=${NOVA_CPU_CONF:-$NOVA_CONF}
    local name var

    nova_zvm_check_name_template
    mkdir -p "$ZVM_IMAGE_TMP_PATH"

    # instance.name is computed by every service (API, conductor, compute):
    # the same template everywhere.
    iniset "$NOVA_CONF" DEFAULT instance_name_template \
        "$ZVM_INSTANCE_NAME_TEMPLATE"

    iniset "$conf" DEFAULT compute_driver zvm_ext.ZVMDriver
    iniset "$conf" DEFAULT instance_name_template "$ZVM_INSTANCE_NAME_TEMPLATE"
    # z/VM guests read their configuration from the config drive.
    iniset "$conf" DEFAULT force_config_drive True
    if [[ -n "$ZVM_VIF_PLUGGING_TIMEOUT" ]]; then
        iniset "$conf" DEFAULT vif_plugging_timeout "$ZVM_VIF_PLUGGING_TIMEOUT"
    fi

    # Every [zvm] option whose ZVM_<NAME> variable is set, the options
    # being read from the installed driver.
    for name in $(nova_zvm_helper options); do
        var="ZVM_${name^^}"
        if [[ -n "${!var:-}" ]]; then
            iniset "$conf" zvm "$name" "${!var}"
        fi
    done
}

# Simulator mode: a disk image the simulator deploys, in Glance with the
# properties the driver and the scheduler need.
function create_nova_zvm_image {
    local file="$NOVA_ZVM_DATA_DIR/$ZVM_IMAGE_NAME.img"
    mkdir -p "$NOVA_ZVM_DATA_DIR"
    nova_zvm_helper image "$file" --disk-type "$ZVM_IMAGE_DISK_TYPE" \
        --size "$ZVM_IMAGE_DISK_SIZE" \
        --payload-bytes "$ZVM_IMAGE_PAYLOAD_BYTES"
    openstack --os-cloud devstack-admin image create "$ZVM_IMAGE_NAME" \
        --public --disk-format raw --container-format bare \
        --file "$file" \
        --property os_distro="$ZVM_IMAGE_OS_DISTRO" \
        --property architecture=s390x \
        --property hypervisor_type=zvm
}

function configure_tempest_for_nova_zvm {
    local section option value image_id
    while read -r section option value; do
        iniset "$TEMPEST_CONFIG" "$section" "$option" "$value"
    done < <(nova_zvm_helper tempest)
    if is_service_enabled "$NOVA_ZVM_SIM_SERVICE"; then
        image_id=$(openstack --os-cloud devstack-admin image show \
            -f value -c id "$ZVM_IMAGE_NAME")
        iniset "$TEMPEST_CONFIG" compute image_ref "$image_id"
        iniset "$TEMPEST_CONFIG" compute image_ref_alt "$image_id"
        # Simulated guests run no operating system to log in to.
        iniset "$TEMPEST_CONFIG" validation run_validation False
    fi
}

function cleanup_nova_zvm {
    rm -rf "$ZVM_SIMULATOR_STATE_DIR" "$ZVM_IMAGE_TMP_PATH" \
        "$NOVA_ZVM_DATA_DIR"
}

if [[ "$1" == "stack" && "$2" == "pre-install" ]]; then
    echo_summary "Checking the nova-zvm-virt-driver settings"
    nova_zvm_check_settings

elif [[ "$1" == "stack" && "$2" == "install" ]]; then
    echo_summary "Installing nova-zvm-virt-driver"
    install_nova_zvm
    if is_service_enabled "$NOVA_ZVM_SIM_SERVICE"; then
        echo_summary "Starting nova-zvm-simulator"
        start_nova_zvm_simulator
    fi

elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
    if is_service_enabled n-cpu; then
        echo_summary "Configuring nova-compute for z/VM"
        configure_nova_zvm
    fi

elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
    if is_service_enabled "$NOVA_ZVM_SIM_SERVICE" && \
            is_service_enabled g-api; then
        echo_summary "Registering a z/VM image for the simulator"
        create_nova_zvm_image
    fi

elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
    if is_service_enabled tempest; then
        echo_summary "Configuring tempest for z/VM"
        configure_tempest_for_nova_zvm
    fi
fi

if [[ "$1" == "unstack" ]]; then
    if is_service_enabled "$NOVA_ZVM_SIM_SERVICE"; then
        stop_nova_zvm_simulator
    fi
fi

if [[ "$1" == "clean" ]]; then
    cleanup_nova_zvm
fi

# Restore xtrace
$_XTRACE_NOVA_ZVM
