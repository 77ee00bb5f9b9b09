from geohub import create_app; app = create_app()
